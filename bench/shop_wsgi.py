"""The app as gunicorn serves it, plus one bare Flask route (`/bench/bare`, no database, no
template) for bench.shop_pages to compare the shop pages with: the same process, hooks and
headers, nothing else."""
from app import create_app
from app.core.permissions import public

app = create_app()


@app.route("/bench/bare")
@public
def bare():
    return "ok"
