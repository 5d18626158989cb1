"""Print the shape of the house: what a newcomer meets first (README length, notebook anatomy, package lines,
import layers). `python tools/house_shape.py [ROOT]`; figures go to the closing notes, not the README."""
import ast
import json
import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
readme = (root / "README.md").read_text()
export_defs, test_lines, tries, hides, prose_words = [], [], 0, 0, 0
for path in sorted((root / "nbs").glob("*.ipynb")):
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        prose_words += len(source.split()) if cell["cell_type"] == "markdown" else 0
        if cell["cell_type"] != "code":
            continue
        tries += len(re.findall(r"raise AssertionError", source))
        hides += source.lstrip().startswith("#| hide")
        if source.lstrip().startswith("#| export"):
            body = ast.parse(source).body
            defs = [n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign))]
            if defs:
                export_defs.append(len(defs))
                following = next((c for c in cells[i + 1:] if c["cell_type"] == "code"), None)
                if following and not "".join(following["source"]).lstrip().startswith(("#| export", "#| hide")):
                    test_lines.append(len("".join(following["source"]).strip().splitlines()))
package = [p for p in (root / "songgenre").rglob("*.py") if p.name != "_modidx.py"]
lines = [line for p in package for line in p.read_text().splitlines()]
names = [n for p in package for n in re.findall(r"^(?:def|class) (\w+)|^(\w+) = ", p.read_text(), re.M)]
names = [a or b for a, b in names]
print(f"README lines: {readme.count(chr(10))}, words: {len(readme.split())}")
print(f"export cells with definitions: {len(export_defs)}, definitions per cell: "
      f"{sum(export_defs) / len(export_defs):.2f}, most in one cell: {max(export_defs)}")
print(f"cells right after a definition (not export/hide): {len(test_lines)}, lines on average: "
      f"{sum(test_lines) / len(test_lines):.1f}, longest: {max(test_lines)}")
print(f"hand-written 'raise AssertionError' blocks: {tries}; #| hide cells: {hides}; prose words: {prose_words}")
print(f"package lines: {len(lines)}, over 110 characters: {sum(len(l) > 110 for l in lines)} "
      f"({sum(len(l) > 110 for l in lines) / len(lines):.1%}), longest: {max(map(len, lines))}")
print(f"top-level names: {len(names)}, private (leading _): {sum(n.startswith('_') for n in names) / len(names):.0%}")
