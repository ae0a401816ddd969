"""Fills cells of an XLSX form as a person would in Excel, for the import tests.

usage: fill_form.py FORM.xlsx OUT.xlsx CELLS.json
CELLS.json: {"Sheet name": {"E12": value, ...}, ...}; a value is a string, a number, or
{"date": "yyyy-mm-dd"} for a date cell. openpyxl (PyPI) keeps the form's lists,
protection and formats.
"""
import datetime
import json
import sys

import openpyxl

form, out, cells_file = sys.argv[1:4]
with open(cells_file, encoding="utf-8") as f:
    cells = json.load(f)
workbook = openpyxl.load_workbook(form)
for sheet_name, values in cells.items():
    sheet = workbook[sheet_name]
    for ref, value in values.items():
        if isinstance(value, dict) and "date" in value:
            sheet[ref] = datetime.datetime.strptime(value["date"], "%Y-%m-%d")
            sheet[ref].number_format = "dd/mm/yyyy"
        else:
            sheet[ref] = value
workbook.save(out)
