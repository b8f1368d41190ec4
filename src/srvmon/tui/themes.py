"""srvmon's own Textual themes: Okabe-Ito (safe for every common colour-vision deficiency) and high
contrast (a wall screen read from across the room, or a laptop in sunlight). Severity never rests on
colour alone: the glyphs (✓ ▲ ✖ ⊘ ∅) carry it in every theme and in NO_COLOR."""

from __future__ import annotations

from textual.theme import Theme

# Okabe & Ito (2002), "Color Universal Design": eight colours distinguishable with protanopia,
# deuteranopia and tritanopia. Severity: bluish green (ok), orange (warn), vermillion (crit); series in
# sky blue and reddish purple; the trend in yellow.
OKABE_ITO = Theme(
    name="srvmon-okabe-ito",
    primary="#56B4E9",
    secondary="#CC79A7",
    accent="#F0E442",
    success="#009E73",
    warning="#E69F00",
    error="#D55E00",
    foreground="#E8E8E8",
    background="#101418",
    surface="#161B22",
    panel="#0072B2",
    dark=True,
)

HIGH_CONTRAST = Theme(
    name="srvmon-high-contrast",
    primary="#00D7FF",
    secondary="#FF87FF",
    accent="#FFFFFF",
    success="#00FF5F",
    warning="#FFD700",
    error="#FF3030",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#303030",
    dark=True,
)

THEMES = (OKABE_ITO, HIGH_CONTRAST)
