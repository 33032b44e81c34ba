"""Does every sentence trace to its source? Quotes verified, prose compared, sides weighed.

In: `Content` from content/. Out: a verified `Project` (every quote found in its source at its
paragraphs, images and chart values checked), and the editorial findings as warnings: prose
that says more than its passages (fidelity), sources that disagree (conflicts), whose voices
a brief gives (balance), what an audience was promised (contracts, readability).
"""
