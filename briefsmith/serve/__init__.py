"""The live preview: `briefsmith serve` builds, watches and serves briefs on 127.0.0.1.

In: a project folder. Out: pages served with a reload script and a problems banner, rebuilt
through the same `pipeline.build` as the command line, whenever a file of the project changes.
"""
