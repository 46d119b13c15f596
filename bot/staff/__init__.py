"""The staff side: review of cases, exports, statistics and flags, the staff web page."""
