"""Which known word a mistyped one meant: the fewest edits (a transposition is one), then the longest common
prefix (typing slips late in a word more often than at its start: us-eest-1 is us-east-1 before us-west-1).
Pure."""

from __future__ import annotations

from collections.abc import Iterable


def edits(one: str, other: str) -> int:
    """Insertions, deletions, substitutions and transpositions of neighbours that make one into the other."""
    previous2: list[int] = []
    previous = list(range(len(other) + 1))
    for i, a in enumerate(one, start=1):
        current = [i]
        for j, b in enumerate(other, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == other[j - 2] and one[i - 2] == b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _common_prefix(one: str, other: str) -> int:
    length = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        length += 1
    return length


def closest(word: str, known: Iterable[str], most: int = 2) -> str | None:
    """The known word meant, at most `most` edits away (and fewer than half its length); None when none is."""
    ranked = sorted(known, key=lambda candidate: (edits(word, candidate), -_common_prefix(word, candidate)))
    if not ranked:
        return None
    best = ranked[0]
    distance = edits(word, best)
    return best if distance <= most and distance < max(len(best), 1) / 2 else None
