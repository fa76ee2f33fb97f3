"""The learner's glossary: every outcome and every card field, in plain words, each tied to
the source idea it comes from.

One data module for every page: the explorer (``app.py``), the shared components and the
training room's pages import :data:`GLOSSARY` and the two HTML helpers here, so a term
reads the same everywhere. The texts paraphrase the project's source essays (never quote
them); :data:`SOURCES` names each by title and a term's ``source`` names the section.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from diplomacy_sim.domain.outcomes import OUTCOMES

SOURCES: dict[str, str] = {
    "PMM": "“System diplomacy” (Public Money & Management essay, 2025)",
    "VSC": "Virtual Staff College, “Distilling systems leadership”",
    "GOSS": "Sue Goss, “Systems leadership: a view from the bridge” (OpM)",
    "KF": "The King's Fund, “System leadership: where can our leaders practise without "
          "breaking things?”",
    "DELVE": "Delve OD, “Forget the labels”",
}
"""The source texts (the project's design inputs), by short key."""


@dataclass(frozen=True)
class Term:
    """One glossary entry: ``short`` is the tooltip, ``explain`` the panel's paragraph,
    ``unit`` what the number counts, and ``source`` (text key, section, idea) where the idea
    comes from."""

    key: str
    name: str
    short: str
    explain: str
    unit: str
    source: tuple[str, str, str]

    @property
    def citation(self) -> str:
        text, section, _idea = self.source
        return f"{SOURCES[text]}, section “{section}”"


_TERMS = (
    # ------------------------------------------------------------------ outcomes
    Term("integration", "Integration",
         "How much joint work is really being delivered, weighted by its size (0 none, 1 all "
         "of it live).",
         "Share of the partnership's joint initiatives that are being delivered or are live, "
         "weighted by how big they are and how far they have got. Agreements on paper do not "
         "count until work starts; live work that is not kept up slips back.",
         "share of joint work, 0–1",
         ("PMM", "Introduction", "reorganisations rarely bring health and care closer "
          "together on their own: integration is work done jointly, not a structure")),
    Term("trust", "Trust",
         "How far people trust colleagues in other organisations (mean over cross-boundary "
         "ties, 0–1).",
         "The average trust on the ties between people of different organisations. Trust "
         "grows slowly when promises are kept and falls faster when they are broken.",
         "trust, 0–1",
         ("VSC", "5. Behaviours and actions", "winning trust by delivering on what was "
          "promised, relationship by relationship")),
    Term("pluralism", "Pluralism",
         "How different the organisations' agendas still are (0.9 at the start, 0 if "
         "everyone thinks alike).",
         "How far apart the agendas at the table are, compared with the start. Diplomacy "
         "keeps it high: partners work together without giving up their own vantage point. "
         "A fall to 0 means one view has swallowed the others.",
         "diversity of agendas, 0–1",
         ("PMM", "System diplomats", "working for common goals while keeping pluralistic, "
          "diverse and competing agendas rather than one imposed vision")),
    Term("engagement", "Engagement",
         "Share of the organisations still coming to the table (1 = all of them).",
         "An organisation whose priorities are ignored for too long goes cold and stops "
         "attending; it can be won back. Engagement is the share still at the table.",
         "share of organisations, 0–1",
         ("GOSS", "Change needs to happen everywhere and in parallel", "a partner whose part "
          "of the system is not changing drifts away, like the hospitals that stopped "
          "coming to the board")),
    Term("user_outcome", "User outcome",
         "How well people who use the services are served: share of need met (0–1).",
         "The share of people's need the services meet, across the issues, with hospital "
         "discharge read from the queue itself. It is the point of the whole exercise.",
         "share of need met, 0–1",
         ("VSC", "1. Personal core values", "systems leadership is judged by better "
          "outcomes for the people services exist for")),
    Term("avoidable_admissions", "Avoidable admissions",
         "People admitted to hospital this week who would not have needed it with better "
         "joined-up care.",
         "A count of people per week. It rises when community and social care cannot keep "
         "people well at home, and falls as joint work on prevention goes live.",
         "people per week",
         ("PMM", "Introduction", "closer working between the NHS and local authorities "
          "shows in the flows of patients, not in structures")),
    Term("delayed_discharges", "Delayed discharges",
         "People fit to leave hospital who are still waiting for care to go home to.",
         "A count of people waiting (a queue, not a weekly flow). It grows when care after "
         "hospital is short or the organisations are not working together on discharge.",
         "people waiting",
         ("GOSS", "Change needs to happen everywhere and in parallel", "discharge is the "
          "issue where one partner's neglect shows up in another's wards")),
    Term("strain", "Strain",
         "How worn out leaders are by meetings that go nowhere (0 fresh, 1 exhausted).",
         "Each unproductive meeting adds strain, anxiety adds more, and it recovers slowly. "
         "On a person's card it is that person's; as an outcome it is the mean over people "
         "in leading roles.",
         "strain, 0–1",
         ("PMM", "System diplomats", "diplomatic work across boundaries has a personal cost "
          "for the people doing it")),
    Term("avoidance", "Avoidance",
         "Share of this week's meetings that went round in circles (0 none, 1 all).",
         "Meetings that discuss the same thing again without progress are a sign that a "
         "hard issue is being avoided. Avoidance is the share of such unproductive meetings "
         "in the latest week that had meetings.",
         "share of meetings, 0–1",
         ("GOSS", "Watch out for ‘avoidance activity’", "busy meetings and papers can hide "
          "the difficult conversation nobody wants to have")),
    # ------------------------------------------------------------------ a person's card
    Term("anxiety", "Anxiety",
         "How unsettled this person feels (0 calm, 1 very anxious); shocks raise it.",
         "Shocks and reorganisations disturb people; anxiety follows that disturbance and "
         "fades as things settle. A little disturbance helps change, but too much anxiety "
         "makes people cling to their own agenda.",
         "anxiety, 0–1",
         ("GOSS", "The importance of disturbance", "disturbance makes change possible and "
          "also makes people anxious, a poor state for experimenting")),
    Term("goals_are_good", "Belief: goals are good",
         "How far this person believes the joint goals are the right ones (0–1).",
         "The first of three beliefs people need before they act: that what the partnership "
         "is aiming for is worth aiming for. It follows how close the joint work is to the "
         "person's own priorities.",
         "belief, 0–1",
         ("GOSS", "Belief is complex and needs unpacking", "three beliefs: the goals are "
          "good, change is possible, it will actually happen")),
    Term("change_is_possible", "Belief: change is possible",
         "How far this person believes the change can be made in present circumstances "
         "(0–1).",
         "The second belief: that change can be done here and now. It follows the progress "
         "the person can see in their own organisation's joint work.",
         "belief, 0–1",
         ("GOSS", "Belief is complex and needs unpacking", "the second of the three "
          "beliefs: change is possible in current circumstances")),
    Term("it_will_happen", "Belief: it will happen",
         "How far this person believes the change will actually happen (0–1).",
         "The third belief: that it will really happen. It follows what the person's "
         "trusted contacts believe: people will not act if they do not think others will.",
         "belief, 0–1",
         ("GOSS", "Belief is complex and needs unpacking", "the third belief: it will "
          "actually happen, which rests on others acting too")),
    Term("priorities", "Priorities (agenda)",
         "The weight a person or organisation gives each issue; the weights add up to 1.",
         "Everyone carries an agenda: how much each issue matters to them. Agendas move "
         "through influence and mandates; diplomacy works with the differences instead of "
         "erasing them.",
         "weights summing to 1",
         ("DELVE", "Forget the labels", "each organisation's own box — targets, rules, "
          "culture — keeps pulling its people back to its own priorities")),
    Term("ties", "Ties",
         "The people this person knows and talks to; each tie carries a trust value.",
         "A person's network: colleagues inside their organisation and contacts across "
         "boundaries, formal and informal. Much of the real work happens through them "
         "rather than in the formal meetings.",
         "number of contacts",
         ("GOSS", "4. Ways of relating: networks are more important than structures", "leadership happens in "
          "informal networks and side conversations as much as in the board room")),
    # ------------------------------------------------------------------ an organisation's card
    Term("budget", "Budget",
         "The organisation's money a year, in £ millions; part of it is free for joint "
         "work.",
         "What the organisation spends a year. Only the discretionary part can be put into "
         "joint initiatives; budget cuts shrink it first.",
         "£ million a year",
         ("PMM", "Introduction", "cuts and mergers change what organisations can bring to "
          "joint work")),
    Term("at_the_table", "At the table / gone cold",
         "Whether the organisation still attends the partnership board.",
         "An organisation is at the table while it takes part; it goes cold after its "
         "priorities are ignored for long enough, and comes back when they are taken up.",
         "yes / no",
         ("GOSS", "Change needs to happen everywhere and in parallel", "parts of a system "
          "go cold when change is too staged and sequential")),
    Term("initiatives", "Live initiatives",
         "Joint pieces of work this organisation is delivering or running now.",
         "Initiatives are proposed, negotiated, agreed, delivered and then live. Only work "
         "in delivery or live counts towards integration.",
         "initiatives",
         ("GOSS", "3) Ways of Thinking", "plans are statements of intent; what counts is the "
          "work that actually starts")),
    Term("agree_to_disagree", "Agreed to disagree",
         "Partners signed up to the same work for different reasons.",
         "An agreement need not mean everyone shares one view: each party can back the same "
         "initiative for its own reasons and keep its own agenda.",
         "—",
         ("GOSS", "4. Ways of relating", "lasting settlements can be, at heart, an agreement to "
          "disagree")),
    # ------------------------------------------------------------------ the page itself
    Term("balcony", "Balcony and role view",
         "The balcony shows everything; a role shows only what one person could see.",
         "From the balcony you see all outcomes exactly. In a role you see your own "
         "organisation, your ties and noisy signals of how the place is doing, as people "
         "on the dance floor do.",
         "—",
         ("VSC", "2. Observations and perceptions", "getting on the balcony to see the dance floor, "
          "and the limits of any one vantage point")),
    Term("signal", "As seen (noisy signal)",
         "What this person hears about an outcome: the true value plus noise.",
         "A person in a role does not see the true outcome. Each week they get a signal "
         "through their own contacts: the true value plus a random error, different for "
         "each person and week. The balcony shows the true value.",
         "same scale as the outcome",
         ("VSC", "2. Observations and perceptions", "no one sees the whole dance floor; every "
          "view is partial")),
    Term("counterfactual", "Counterfactual (grey line)",
         "The same place and seed without the trainer's injected shocks.",
         "The grey line replays the run without the shocks the trainer injected, so the gap "
         "between blue and grey is what the shocks did.",
         "same scale as the outcome",
         ("KF", "the blog's question", "a safe place to try things out and see what would "
          "have happened otherwise")),
    Term("shock", "Shock (red mark)",
         "Something that hits the system from outside: a reorganisation, a cut, a surge.",
         "Shocks are disturbances from outside the partnership. Each is marked on the "
         "charts with its kind and the organisations it hit.",
         "—",
         ("PMM", "Introduction", "reorganisations are often disruptive for little gain and "
          "land in ways that are hard to predict")),
)

GLOSSARY: dict[str, Term] = {t.key: t for t in _TERMS}
"""Every term, by key (outcome names are their own keys)."""

OUTCOME_TERMS: tuple[str, ...] = OUTCOMES
"""Every outcome of the model has an entry (checked by the tests)."""
PERSON_FIELDS: tuple[str, ...] = ("anxiety", "strain", "goals_are_good", "change_is_possible",
                                  "it_will_happen", "priorities", "ties")
ORG_FIELDS: tuple[str, ...] = ("budget", "priorities", "at_the_table", "initiatives")


def term_html(key: str, label: str | None = None) -> str:
    """``label`` (default: the term's name) with the term's tooltip, linking to its entry
    in the glossary panel. Everything is escaped; an unknown key raises KeyError."""
    t = GLOSSARY[key]
    return (f'<a class="term" data-term="{escape(key)}" href="#term-{escape(key)}" '
            f'title="{escape(t.short)}" style="color:inherit;text-decoration:underline dotted;'
            f'text-underline-offset:2px">{escape(label if label is not None else t.name)}</a>')


def glossary_html(keys: Iterable[str] | None = None, font_px: int = 14) -> str:
    """The glossary panel: each term, what it means for a learner, its unit and its
    source (escaped; anchors ``term-<key>`` are the targets of :func:`term_html`)."""
    small = max(font_px - 2, 12)
    items = []
    for key in keys if keys is not None else GLOSSARY:
        t = GLOSSARY[key]
        items.append(
            f'<div class="glossary-term" id="term-{escape(key)}" style="margin-bottom:8px">'
            f'<div style="font-weight:600;font-size:{font_px}px">{escape(t.name)}'
            f'<span style="font-weight:400;color:#607d8b"> · {escape(t.unit)}</span></div>'
            f'<div style="font-size:{font_px}px">{escape(t.explain)}</div>'
            f'<div style="font-size:{small}px;color:#546e7a">Source idea: '
            f'{escape(t.source[2])} — {escape(t.citation)}.</div></div>')
    return (f'<div class="glossary" id="glossary" style="display:grid;grid-template-columns:'
            f'repeat(auto-fill,minmax(320px,1fr));gap:4px 18px">{"".join(items)}</div>')
