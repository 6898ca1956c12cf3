"""Triage: ranking content no bank knows for human review.

Hash matching finds only what someone has already found. Triage gathers what else is known
about a piece of content and its user (`Finding`: a classifier's score, an outside matcher's
answer, a near miss, the user's confirmed history, reports, conversation alerts), and a
`Policy` (a small rules table in the settings) turns them into one of five levels
(`Level`, VERY_LOW..VERY_HIGH) with the rules that set it, so the review queue is worked most
urgent first and every job says why it is where it is.

- `bastion.triage.findings`: the vocabulary (levels, findings).
- `bastion.triage.policy`: the rules table and the assessment.
- `bastion.triage.classifiers`: the classifier interface and its plugin entry points.
- `bastion.triage.outside`: outside matchers and classifiers (PhotoDNA Cloud, Arachnid
  Shield, Google's Content Safety API), behind rate limits, timeouts and a circuit breaker.
- `bastion.triage.evaluate`: how often each signal led to a confirmed decision.
"""
