"""Fail when `nbdev_clean` or `nbdev_export` would change a file: notebooks must be committed
clean and the package must be what the notebooks export. Works on a dirty tree too, since it
compares each file before and after rather than asking git."""
import hashlib, subprocess, sys
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

problems = []
if files := changed_by("nbdev_clean"):
    problems.append("nbdev_clean changed (commit cleaned notebooks): " + ", ".join(files))
if files := changed_by("nbdev_export"):
    problems.append("nbdev_export changed (edit the notebook, not the package): " + ", ".join(files))
if problems:
    sys.exit("check_sync: " + "\n".join(problems))
print("check_sync: notebooks are clean and songgenre/ matches them")
