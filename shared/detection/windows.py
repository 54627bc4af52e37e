"""Token windows for the semantic classifier: which parts of a long text it reads.

A planted instruction can sit anywhere in a long document, but the encoder reads at
most ``WINDOW_TOKENS`` tokens at a time, and each window costs time. The text is cut
into overlapping windows; training and inference use the same cut (this module), so
the model is scored on exactly the kind of window it learnt from.

Which windows are read when there are more than the budget allows is a stated
principle, not chance (:func:`pick_windows`): the head (where jailbreak templates and
direct instructions usually start), the first window the cheap stages flagged (a rule
or heuristic match), the tail (where suffixes and "P.S." instructions go), the other
flagged windows, then evenly spread windows over what is left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Tokens of text per window, not counting [CLS] and [SEP] (128 with them).
WINDOW_TOKENS = 126
#: Step between window starts: consecutive windows overlap by 30 tokens, so an
#: instruction of up to 30 tokens is always whole in at least one window.
WINDOW_STRIDE = 96


def token_windows(n_tokens: int, size: int = WINDOW_TOKENS, stride: int = WINDOW_STRIDE) -> list[tuple[int, int]]:
    """All windows ``[start, end)`` over ``n_tokens`` tokens; the last one ends at the end.

    A text that fits is one window. Otherwise windows start every ``stride`` tokens and
    a final window is aligned to the end so the tail is always read whole.
    """
    if n_tokens <= size:
        return [(0, n_tokens)]
    starts = list(range(0, n_tokens - size, stride))
    starts.append(n_tokens - size)
    return [(s, s + size) for s in sorted(set(starts))]


def window_of_token(windows: Sequence[tuple[int, int]], token: int) -> int:
    """Index of the window that holds ``token`` most centrally."""
    best, best_margin = 0, -1
    for i, (start, end) in enumerate(windows):
        if start <= token < end:
            margin = min(token - start, end - 1 - token)
            if margin > best_margin:
                best, best_margin = i, margin
    return best


def pick_windows(
    windows: Sequence[tuple[int, int]], flagged: Iterable[int], budget: int, *, only_flagged: bool = False
) -> list[int]:
    """Indices of the windows to read, in priority order, at most ``budget`` of them.

    ``flagged`` are window indices the cheap stages point at. Order: head, the first
    flagged, tail, the other flagged (in the order given), then an even spread over the
    rest, so a budget of k windows over a long text still samples its whole length.

    ``only_flagged``: read the flagged windows alone, in the order given (the head when
    none is): for a decoded layer that repeats the text already read except where it
    was decoded.
    """
    n = len(windows)
    if budget <= 0 or n == 0:
        return []
    if only_flagged:
        leads = list(dict.fromkeys(i for i in flagged if 0 <= i < n))[:budget]
        return leads or [0]
    chosen: list[int] = []

    def add(i: int) -> None:
        if 0 <= i < n and i not in chosen and len(chosen) < budget:
            chosen.append(i)

    flagged = [i for i in flagged if 0 <= i < n]
    add(0)
    if flagged:  # the strongest lead is read right after the head
        add(flagged[0])
    add(n - 1)
    for i in flagged:
        add(i)
    rest = [i for i in range(n) if i not in chosen]
    room = budget - len(chosen)
    if room > 0 and rest:
        if room >= len(rest):
            for i in rest:
                add(i)
        else:
            step = len(rest) / room
            for k in range(room):
                add(rest[int((k + 0.5) * step)])
    return chosen
