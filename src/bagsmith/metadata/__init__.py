"""Dublin Core, PREMIS, MIX and METS: deterministic builders (lxml) and semantic METS checks.

Builders take the domain model (:class:`~bagsmith.model.Article`,
:class:`~bagsmith.model.PackageFile`) and return bytes; the same inputs and the same creation
time give byte-identical XML. :mod:`.checks` verifies a parsed METS against plain facts
(the bag's files, manifest digests, image sizes) without importing the BagIt engine.
"""
