"""The floor of ``bench_page.py``: a Solara page with nothing of the dashboard's (one text and
one empty chart), served by the dashboard's own launcher settings. What it costs the browser
is what Solara's front end costs any page."""

import solara


@solara.component
def Page() -> None:
    solara.Text("Week 0 of 1")
    solara.HTML(tag="div", unsafe_innerHTML='<svg class="chart" width="10" height="10"></svg>')
