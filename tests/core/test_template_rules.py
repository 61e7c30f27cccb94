"""Business rules live in model or service predicates, not in templates: a page asks
`po.returnable`, never `po.status in ('partially_received', 'received', 'closed')`."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
STATUS_RULE = re.compile(r"""\.status\s*(==|!=|\bnot in\b|\bin\b)\s*['"(\[]""")

# pages not moved to predicates yet (shrink this list; never add to it)
NOT_YET: set[str] = set()


def _status_rules() -> dict[str, list[str]]:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        lines = [f"{n}: {line.strip()}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if STATUS_RULE.search(line)]
        if lines:
            found[str(path.relative_to(TEMPLATES))] = lines
    return found


def test_no_template_compares_a_status_itself():
    rules = {name: lines for name, lines in _status_rules().items() if name not in NOT_YET}
    assert rules == {}, "ask a model or service predicate instead:\n" + "\n".join(
        f"{name}:{line}" for name, lines in rules.items() for line in lines)


def test_the_list_of_pages_not_moved_yet_only_shrinks():
    assert NOT_YET <= set(_status_rules()), "moved already; take it off NOT_YET: " + ", ".join(
        sorted(NOT_YET - set(_status_rules())))


def test_the_rule_finds_the_comparisons_it_is_meant_to():
    for text in ("{% if po.status == 'draft' %}", "{% if po.status in ('a', 'b') %}", 'x.status != "paid"',
                 "{% if po.status not in ('sent', 'cancelled') %}"):
        assert STATUS_RULE.search(text), text
    assert not STATUS_RULE.search('<span class="badge badge-{{ po.status }}">{{ labels[po.status] }}</span>')


# --- money arithmetic ---------------------------------------------------------------------------
# A page shows money a service or model worked out (`breakdown.goods_after_discounts`,
# `requests.refunded`); adding, subtracting or summing amounts in a template is a business rule
# the API and the other pages then lack. Quantities and page numbers may still be counted there.
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
MONEY = (r"(?:\w*(?:total|payable|amount|refunded|refundable|discount|fee|price|cost|balance|paid|tax|budget|"
         r"gmv|given|value|owed|outstanding|debit|credit)\w*)")
MONEY_RULES = (
    re.compile(r"\|\s*sum\b"),                                              # totals belong to a query
    re.compile(rf"\.{MONEY}\s*[-+]\s*[\w(]"),                               # price - discount ...
    re.compile(rf"[\w)\]]\s*[-+]\s*[\w.]*\.{MONEY}\b"),                     # ... - order.refunded
    re.compile(r"\(([^()]|\([^()]*\))*?\s[-+]\s([^()]|\([^()]*\))*\)\s*\|\s*money"),   # (a - b)|money
)

# pages whose money arithmetic has not moved to a service yet (shrink this list; never add to it)
MONEY_NOT_YET: set[str] = set()


def _money_arithmetic() -> dict[str, list[str]]:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        hits = [f"{text.count(chr(10), 0, m.start()) + 1}: {' '.join(m.group().split())}" for m in JINJA.finditer(text)
                if any(rule.search(m.group()) for rule in MONEY_RULES)]
        if hits:
            found[str(path.relative_to(TEMPLATES))] = hits
    return found


def test_no_template_adds_subtracts_or_sums_money():
    found = {name: hits for name, hits in _money_arithmetic().items() if name not in MONEY_NOT_YET}
    assert found == {}, "let a service or model work the amount out:\n" + "\n".join(
        f"{name}:{hit}" for name, hits in found.items() for hit in hits)


def test_the_list_of_money_arithmetic_not_moved_yet_only_shrinks():
    assert MONEY_NOT_YET <= set(_money_arithmetic()), "moved already; take it off MONEY_NOT_YET: " + ", ".join(
        sorted(MONEY_NOT_YET - set(_money_arithmetic())))


def test_the_money_rule_finds_the_arithmetic_it_is_meant_to():
    def caught(text):
        return any(rule.search(m.group()) for m in JINJA.finditer(text) for rule in MONEY_RULES)

    for text in ("{% set refunded = requests|sum(attribute='refunded') %}",
                 "{{ (breakdown.goods_total - breakdown.discount_total)|money(currency) }}",
                 "{{ (draft.payable - live.payable)|money(currency) }}",
                 "{{ order.payable - order.refunded }}", "{{ line.price + fee }}", "{{ total + order.shipping_fee }}"):
        assert caught(text), text
    for text in ("{{ page - 1 }}", "{{ url_for('x', page=page + 1) }}", "{{ t.quantity - t.issued }}",
                 "{{ line.received - line.returned }}", "{{ chart.height - 4 }}", "{{ columns|length + 1 }}",
                 "{{ order.payable|money(order.currency) }}", "{{ _('%(n)d left', n=t.size - t.taken) }}",
                 '<td class="price-cell">{{ sku.price|money }}</td>'):
        assert not caught(text), text
