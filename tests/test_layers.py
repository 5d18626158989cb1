"""The package's layers: one job per module, imports flowing one way (the index chapter draws them)."""
import subprocess
import sys

from songgenre.report import LAYERS, module_imports


def test_every_module_has_a_layer_and_imports_only_lower_ones():
    graph = module_imports()
    tier = {module: i for i, layer in enumerate(LAYERS) for module in layer}
    tier["__init__"] = len(LAYERS)  # `songgenre.X`: the top level, which imports the public API on first use
    assert sorted(graph) == sorted(tier.keys() - {"__init__"})
    upward = [f"{m} imports {t}" for m, targets in graph.items() for t in targets if tier[t] >= tier[m]]
    assert upward == []


def test_the_command_line_and_the_report_never_load_each_other():
    probe = "import sys, songgenre.{}; print(sorted(m for m in sys.modules if m.startswith('songgenre.')))"
    for module, other in (("cli", "songgenre.report"), ("report", "songgenre.cli")):
        loaded = subprocess.run([sys.executable, "-c", probe.format(module)], capture_output=True, text=True,
                                check=True).stdout
        assert other not in loaded and "songgenre.studies" not in loaded, loaded
