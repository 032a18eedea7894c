"""Independent parts of an instance, solved one after the other.

Two practitioners belong to the same part when a chain of demands links them: one could
serve a demand another could serve too. Parts share no demand and no hard rule, and every
soft rule is a sum over practitioners whose fair share depends only on their own part, so
the best roster of the whole is the union of the best rosters of the parts. A Vénissieux
month splits into one part per profession; a territory of many sectors linked by a few
practitioners working in two of them, into one part per profession too.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from solver.competence import holders
from solver.eligibility import candidate_shifts
from solver.instance import Demand, Instance, Practitioner

DemandKey = tuple[object, str, str, str]


def _key(d: Demand) -> DemandKey:
    return (d.day, d.block, d.profession, d.sector)


def split(instance: Instance) -> list[Instance]:
    """The independent parts of `instance`, largest first, each a valid instance.

    Demands no practitioner can serve and practitioners who can serve no demand are put
    together in a last part, where there is nothing to choose.
    """
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent[x]
        return root

    for d in instance.demands:
        find(("demand", _key(d)))
    for p in instance.practitioners:
        find(("practitioner", p.id))
    profession = {p.id: p.profession for p in instance.practitioners}
    for a in candidate_shifts(instance):
        demand = find(("demand", (a.day, a.block, profession[a.practitioner], a.sector)))
        parent[demand] = find(("practitioner", a.practitioner))
    for cd in instance.competence_demands:  # its holders serve it together: one part
        ids = {p.id for p in holders(instance, cd)}
        linked = [find(("practitioner", pid)) for pid in sorted(ids)]
        for root in linked[1:]:
            parent[root] = linked[0]
    demands: dict[object, list[Demand]] = defaultdict(list)
    for d in instance.demands:
        demands[find(("demand", _key(d)))].append(d)
    practitioners = defaultdict(list)
    for p in instance.practitioners:
        practitioners[find(("practitioner", p.id))].append(p)
    roots = sorted(
        set(demands) & set(practitioners),
        key=lambda r: (-len(demands[r]), [p.id for p in practitioners[r]]),
    )
    idle = sorted(set(demands) ^ set(practitioners), key=str)
    groups = [[r] for r in roots] + ([idle] if idle else [])
    return [_part(instance, [demands[r] for r in group], [practitioners[r] for r in group])
            for group in groups]  # fmt: skip


def _part(
    instance: Instance, demands: list[list[Demand]], practitioners: list[list[Practitioner]]
) -> Instance:
    wanted = {_key(d) for ds in demands for d in ds}
    ids = {p.id for ps in practitioners for p in ps}
    return dataclasses.replace(
        instance,
        demands=tuple(d for d in instance.demands if _key(d) in wanted),
        practitioners=tuple(p for p in instance.practitioners if p.id in ids),
        locked=tuple(a for a in instance.locked if a.practitioner in ids),
        previous_roster=tuple(a for a in instance.previous_roster if a.practitioner in ids),
        context=tuple(a for a in instance.context if a.practitioner in ids),
        competence_demands=tuple(
            cd
            for cd in instance.competence_demands
            if any(p.id in ids for p in holders(instance, cd))
        ),
    )
