"""How every bench script saves its figures: one JSON file, stamped with the date and machine, written whole or not at all."""
import datetime
import os
import platform
import tempfile
from pathlib import Path

from songgenre.tables import results_json


def write_results(path, record: dict) -> Path:
    "Write `record` (after date, machine and CPU count) as strict JSON at `path`, via a temporary file renamed at the end."
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {"date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
               "cpus": os.cpu_count(), **record}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:  # an interrupted run leaves the previous results file as it was
        with os.fdopen(fd, "w") as f:
            f.write(results_json(stamped, indent=1))  # strict JSON: an undefined figure (NaN) is null
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"wrote {path}")
    return path
