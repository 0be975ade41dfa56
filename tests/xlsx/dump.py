"""Reads an .xlsx with openpyxl (a real reader, not ours) and prints every sheet as JSON:
{"title": ..., "sheets": [{"name", "freeze", "filter", "print_titles", "orientation", "paper", "fit_to_page",
"fit_width", "fit_height", "header", "footer", "widths": {"A": 12.0}, "heights": {"6": 30.0},
"rows": [[{"v": value, "t": data_type, "f": number_format, "fill": "FFDCEFE1" or null, "bold": bool,
"wrap": bool}]]}]}."""
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1])
out = {"title": wb.properties.title, "sheets": []}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        cells = []
        for c in row:
            fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
            cells.append({"v": c.value, "t": c.data_type, "f": c.number_format, "fill": fill,
                          "bold": bool(c.font and c.font.b), "wrap": bool(c.alignment and c.alignment.wrap_text)})
        rows.append(cells)
    setup = ws.page_setup
    out["sheets"].append({
        "name": ws.title,
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "print_titles": ws.print_title_rows,
        "orientation": setup.orientation,
        "paper": setup.paperSize,
        "fit_to_page": bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
        "fit_width": setup.fitToWidth,
        "fit_height": setup.fitToHeight,
        "header": ws.oddHeader.left.text or "",
        "footer": (ws.oddFooter.left.text or "") + " | " + (ws.oddFooter.right.text or ""),
        "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        "heights": {str(k): v.height for k, v in ws.row_dimensions.items() if v.height},
        "rows": rows,
    })
json.dump(out, sys.stdout, ensure_ascii=False, default=str)
