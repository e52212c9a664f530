package bench

import _ "embed"

// Notes is appended to the generated report: how to read the figures, where the time goes, and
// the optimisations made with the figures measured before and after them. Unlike the tables it
// is written by hand (notes.md); update it when the figures move.
//
//go:embed notes.md
var Notes string
