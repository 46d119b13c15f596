"""HTML of the staff web pages, built by small functions that escape every value they insert."""
