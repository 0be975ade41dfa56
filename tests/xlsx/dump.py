"""Reads an .xlsx with openpyxl (a real reader, not ours) and prints every sheet as JSON:
{"title": ..., "sheets": [{"name": ..., "freeze": ..., "rows": [[{"v": value, "t": data_type, "f": number_format}]]}]}."""
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1])
out = {"title": wb.properties.title, "sheets": []}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        rows.append([{"v": c.value, "t": c.data_type, "f": c.number_format} for c in row])
    out["sheets"].append({"name": ws.title, "freeze": ws.freeze_panes, "rows": rows})
json.dump(out, sys.stdout, ensure_ascii=False, default=str)
