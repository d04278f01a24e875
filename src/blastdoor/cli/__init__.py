"""Layer 5: argument parsing and rendering only; the one place that exits."""
