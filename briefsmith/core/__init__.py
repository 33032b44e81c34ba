"""The floor every wing stands on: what all stages share and none of them owns.

In: nothing from the other wings (this imports only the standard library and itself). Out: the
frozen model objects (`models`), the error family with file and line (`errors`), the project
boundary (`paths`), writing files all-or-nothing (`files`), content hashes (`hashing`) and the
vocabulary of numbers, qualifiers, hedges and sentences (`vocabulary`) that every check reads
text with.
"""
