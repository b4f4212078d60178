"""Checks that need the whole workspace: ids used twice, and cycles of references."""

from __future__ import annotations

from collections.abc import Iterator

from incident_mcp.artifacts import ArtifactIndex, reference_ids
from incident_mcp.validation.model import Problem, missed, show


def whole_workspace_problems(index: ArtifactIndex) -> dict[str, list[Problem]]:
    """Duplicate-id and cycle problems, by file."""
    found: dict[str, list[Problem]] = {}
    for problem in (*duplicate_ids(index), *cycles(index)):
        found.setdefault(problem.file, []).append(problem)
    return found


def duplicate_ids(index: ArtifactIndex) -> Iterator[Problem]:
    """An ``id.duplicate`` error on every file whose id another file also uses."""
    for artifact_id, artifacts in index.by_id.items():
        if len(artifacts) < 2:
            continue
        for artifact in artifacts:
            others = ", ".join(show(a.rel) for a in artifacts if a is not artifact)
            yield Problem(file=artifact.rel, line=artifact.line_of("id"), rule="id.duplicate", severity="error",
                          message=f"id '{show(artifact_id)}' is also used by {others} "
                                  f"{missed('it resolves a reference to whichever file grep lists first')}",
                          missed_by_company_os=True)


def cycles(index: ArtifactIndex) -> Iterator[Problem]:
    """A ``reference.cycle`` error on every artifact in a cycle of references (or in a tangle of them)."""
    graph = _dependency_graph(index)
    for component in _strongly_connected(graph):
        members = set(component)
        start = min(component)
        if len(component) == 1 and start not in graph.get(start, {}):
            continue
        cycle = _cycle_through(graph, start, members)
        on_cycle = set(cycle)
        for position, node in enumerate(cycle):
            rotated = cycle[position:] + cycle[:position]
            if len(rotated) <= 6:
                path = " → ".join(show(n) for n in (*rotated, rotated[0]))
                why = "; ".join(graph[a][b] for a, b in zip(rotated, (*rotated[1:], rotated[0]), strict=True))
                path = f"{path} ({why})"
            else:
                path = " → ".join(show(n) for n in rotated[:4]) + f" → … → {show(rotated[0])} " \
                    f"({len(rotated)} artifacts)"
            artifact = index.by_id[node][0]
            label = graph[node][rotated[1] if len(rotated) > 1 else node]
            key = label.split(" ")[1] if label.startswith(f"{node} ") else None
            yield Problem(
                file=artifact.rel, line=artifact.line_of(key) if key else None, rule="reference.cycle",
                severity="error", missed_by_company_os=True,
                message=f"reference cycle {path}: none of them can be approved before the others "
                        f"{missed('it checks each reference one step at a time')}")
        for node in sorted(members - on_cycle):
            artifact = index.by_id[node][0]
            sample = ", ".join(show(n) for n in sorted(members)[:10])
            yield Problem(file=artifact.rel, rule="reference.cycle", severity="error", missed_by_company_os=True,
                          message=f"part of a reference cycle among {len(members)} artifacts ({sample}"
                                  f"{', …' if len(members) > 10 else ''}) "
                                  f"{missed('it checks each reference one step at a time')}")


def _dependency_graph(index: ArtifactIndex) -> dict[str, dict[str, str]]:
    """Edges "A needs B first" (A→B) from parent, depends_on, children and blocks, labelled as written."""
    graph: dict[str, dict[str, str]] = {}

    def edge(source: str, target: str, label: str) -> None:
        if index.exists(source) and index.exists(target):
            graph.setdefault(source, {}).setdefault(target, label)
            graph.setdefault(target, {})

    for artifact_id, artifacts in index.by_id.items():
        meta = artifacts[0].meta
        parent = meta.get("parent")
        if isinstance(parent, str):
            edge(artifact_id, parent, f"{artifact_id} parent {parent}")
        for name in ("depends_on", "children", "blocks"):
            value = meta.get(name)
            if isinstance(value, dict):
                continue
            for ref in reference_ids(value):
                if name == "depends_on":
                    edge(artifact_id, ref, f"{artifact_id} depends_on {ref}")
                else:
                    edge(ref, artifact_id, f"{artifact_id} {name} {ref}")
    return graph


def _strongly_connected(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The components with a cycle (several members, or one referring to itself), each sorted, in Tarjan's order."""
    return _Tarjan(graph).components()


class _Tarjan:
    """Tarjan's algorithm without recursion (a chain of 10,000 references must not overflow the stack).

    Nodes and children are visited in sorted order, so the components come out in the same order every run.
    """

    def __init__(self, graph: dict[str, dict[str, str]]) -> None:
        self.graph = graph
        self.order: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.on_stack: set[str] = set()
        self.stack: list[str] = []
        self.work: list[tuple[str, Iterator[str]]] = []  # the depth-first path, each with its children left
        self.found: list[list[str]] = []

    def components(self) -> list[list[str]]:
        for root in sorted(self.graph):
            if root not in self.order:
                self._search(root)
        return self.found

    def _enter(self, node: str) -> None:
        self.order[node] = self.low[node] = len(self.order)
        self.stack.append(node)
        self.on_stack.add(node)
        self.work.append((node, iter(sorted(self.graph[node]))))

    def _search(self, root: str) -> None:
        self._enter(root)
        while self.work:
            node, children = self.work[-1]
            child = self._next_unvisited(node, children)
            if child is not None:
                self._enter(child)
                continue
            self.work.pop()
            if self.work:
                parent = self.work[-1][0]
                self.low[parent] = min(self.low[parent], self.low[node])
            if self.low[node] == self.order[node]:
                self._close(node)

    def _next_unvisited(self, node: str, children: Iterator[str]) -> str | None:
        """The next child not yet visited; children still on the stack lower ``node``'s low-link on the way."""
        for child in children:
            if child not in self.order:
                return child
            if child in self.on_stack:
                self.low[node] = min(self.low[node], self.order[child])
        return None

    def _close(self, node: str) -> None:
        """Pop the component rooted at ``node``; keep it when it holds a cycle."""
        component: list[str] = []
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            component.append(member)
            if member == node:
                break
        if len(component) > 1 or node in self.graph[node]:
            self.found.append(sorted(component))


def _cycle_through(graph: dict[str, dict[str, str]], start: str, members: set[str]) -> list[str]:
    """A shortest cycle from ``start`` back to itself inside one strongly connected component."""
    if start in graph[start]:
        return [start]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return path[::-1]
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start]  # pragma: no cover - a component always has a cycle through each member
