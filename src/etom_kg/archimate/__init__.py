"""ArchiMate interoperability: the eTOM-to-ArchiMate mapping, the Model Exchange File
format (writer, offline XSD validation, reader), Archi's CSV format and Sparx EA CSV.

Modules: :mod:`.model` (the in-memory model and how eTOM maps onto it), :mod:`.rules`
(allowed relationships, from ``relationships.csv``), :mod:`.exchange` (the XML format),
:mod:`.archi_csv` and :mod:`.sparx`.
"""
