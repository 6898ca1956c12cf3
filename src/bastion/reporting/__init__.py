"""Reports to hotlines: drafts built from review decisions, sent through a `ReportSink`
(NCMEC's CyberTipline first) as a persisted state machine that never sends a report twice,
the evidence preserved for a year afterwards, and the yearly transparency report."""
