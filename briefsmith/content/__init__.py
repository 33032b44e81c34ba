"""Project files → model objects: read strictly, validated against a closed schema.

In: the YAML and text files under `content/`, `briefs/`, each audience's `audience.yaml` and
`briefsmith.yaml`. Out: `Content` (sources, blocks, briefs, audiences, resolutions), the house
style (`Config`) and, per brief and audience, a `Selection` of blocks in reading order; or
located errors. Nothing here judges whether prose is true to its sources: that is evidence/.
"""
