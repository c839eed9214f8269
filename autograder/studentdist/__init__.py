"""The student distribution: self-check without the solutions (``dlgrade student build``)."""
