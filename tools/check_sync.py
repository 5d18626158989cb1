"""Fail when `nbdev_clean` or `nbdev_export` would change a file, or a notebook holds outputs: notebooks must
be committed clean and without outputs, and the package must be what the notebooks export. Works on a dirty
tree too, since it compares each file before and after rather than asking git.

It fixes what it finds as it checks (it runs the two commands), so a second run passes: read the message,
then commit the rewritten files, or move a hand edit of the package into its notebook."""
import hashlib, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def snapshot() -> dict:
    files = [*ROOT.glob("nbs/**/*.ipynb"), *ROOT.glob("songgenre/**/*.py")]
    return {str(f.relative_to(ROOT)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files if ".ipynb_checkpoints" not in f.parts}

def changed_by(command: str) -> list[str]:
    before = snapshot()
    subprocess.run([str(BIN / command)], cwd=ROOT, check=True)
    after = snapshot()
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))

def with_outputs() -> list[str]:
    "Notebooks with a code cell that holds outputs (settings.ini keeps nbdev_clean from clearing them)."
    found = []
    for nb in sorted(ROOT.glob("nbs/**/*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts:
            continue
        cells = json.loads(nb.read_text()).get("cells", [])
        if any(c.get("cell_type") == "code" and c.get("outputs") for c in cells):
            found.append(str(nb.relative_to(ROOT)))
    return found

problems = []
if files := changed_by("nbdev_clean"):
    problems.append("nbdev_clean rewrote (commit the cleaned notebooks): " + ", ".join(files))
if files := changed_by("nbdev_export"):
    problems.append("nbdev_export rewrote " + ", ".join(files) + ": either a notebook was changed and not exported "
                    "(commit the exported files now written), or the package was edited by hand (that edit is now "
                    "overwritten: `git diff` shows it; make it in the notebook and export)")
if files := with_outputs():
    problems.append("notebooks hold outputs (papermill writes them into _report/, not here; clear them, e.g. "
                    "`jupyter nbconvert --clear-output --inplace NOTEBOOK`): " + ", ".join(files))
if problems:
    sys.exit("check_sync: " + "\n".join(problems))
print("check_sync: notebooks are clean, hold no outputs, and songgenre/ matches them")
