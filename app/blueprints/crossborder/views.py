"""Cross-border pages: the settings (selling cross-border, customs registration) and the
daily customs export (the command line has the same export, see `cli`)."""
from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.crossborder import bp, forms, manifest, services
from app.core import tasks
from app.core.formview import commit, commit_form
from app.core.htmx import redirect_to
from app.core.permissions import requires


@bp.route("/settings", methods=["GET", "POST"])
@requires("crossborder.settings")
def settings_page():
    current = services.settings()
    form = forms.SettingsForm(obj=current if request.method == "GET" else None)
    if form.validate_on_submit() and commit_form(form, lambda: services.save_settings(
            current_user, form.enabled.data, {f: getattr(form, f).data for f in services.SETTING_FIELDS})):
        flash(_("Saved."), "success")
        return redirect_to(url_for("crossborder.settings_page"))
    return render_template("crossborder/settings.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/export", methods=["GET", "POST"])
@requires("crossborder.export")
def export_page():
    """Choose a day: its cross-border orders' three customs documents are written in the
    background (a task with its ZIP file to download)."""
    form = forms.ExportForm(formdata=None if request.method == "GET" else request.form, day=services.today())
    if form.validate_on_submit():
        if form.day.data > services.today():
            form.day.errors.append(_("Choose today or a day before."))
        else:
            outcome = commit(lambda: tasks.start_task(
                current_user, "crossborder.customs_export",
                _("Customs export of %(day)s", day=form.day.data.isoformat()), day=form.day.data.isoformat()))
            if outcome:
                return redirect_to(url_for("store.job_detail", id=outcome.result.id))
            form.day.errors.append(outcome.error.message)
    return render_template("crossborder/export.html", form=form, standard=manifest.STANDARD,
                           enabled=services.settings().enabled), 422 if request.method == "POST" else 200
