# zerohsi: `make demo` and `make test` work on a fresh machine (they create .venv and install everything).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU machines take torch from the pinned spec; GPU users override, e.g. make TORCH_SPEC="torch torchvision".
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
EXTRAS ?= dev,clip,viewer,export,ray,wandb,submitit
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
PYTEST_ARGS ?= -n 2
# SAM2 builds its optional CUDA extension only when asked; the CPU path needs none.
export SAM2_BUILD_CUDA ?= 0

# CPU-only machines (`make install-cpu`): the CPU build of torch, without torchvision (PyPI's torchvision does not
# import beside it). What needs torchvision stays out: the clip extra (open_clip and timm import it) and the packages
# of the SAM2 segmenter (its plugin still registers, without its dependencies, and says what is missing).
CPU_TORCH_SPEC ?= torch==2.13.0
CPU_EXTRAS ?= dev,viewer,export,ray,wandb,submitit
TORCHVISION_PLUGINS := plugins/zerohsi-sam2/

.PHONY: install install-cpu demo test test-tools lint format bench clean

$(BIN)/.installed: pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]" $(foreach p,$(PLUGIN_DIRS),-e $(p))
	touch $@

# anny's body-model cache (~800 MB under ~/.cache/anny or $$ANNY_CACHE_DIR) takes a minute or two to build; build it
# here, once, instead of on the first run (a no-op of a few seconds once it exists).
install: $(BIN)/.installed
	$(BIN)/python -c "from zerohsi.body.anny_model import AnnyBody, anny_cache_ready; anny_cache_ready() or AnnyBody()"

# Marks the venv installed, so `make test` / `make demo` afterwards keep the CPU build.
install-cpu:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(CPU_TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[$(CPU_EXTRAS)]" \
	  $(foreach p,$(filter-out $(TORCHVISION_PLUGINS),$(PLUGIN_DIRS)),-e $(p))
	$(BIN)/python -m pip install --quiet --no-deps $(foreach p,$(TORCHVISION_PLUGINS),-e $(p))
	touch $(BIN)/.installed

demo: install
	$(BIN)/zerohsi run demo

# Blender as a Python module checks that the BVH/GLB exports import in Blender. bpy pins numpy<2, so it lives in a
# folder of its own (pip --target, no dependencies; it runs with the environment's numpy) outside the venv, which keeps
# `pip check` clean; best effort (the Blender test skips without it). About 820 MB, installed once per machine.
BPY_SPEC ?= bpy==5.0.1
export ZEROHSI_BPY_PATH ?= $(HOME)/.cache/zerohsi/bpy-5.0.1
$(ZEROHSI_BPY_PATH)/.installed: | $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --no-deps --target $(ZEROHSI_BPY_PATH) $(BPY_SPEC) && touch $@ || \
	  echo "bpy not installed: the Blender export test will be skipped"

# Headless Chromium checks the HTML report; best effort (the report test skips without it).
test-tools: $(ZEROHSI_BPY_PATH)/.installed
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: the report browser test will be skipped"; }

# The pytest workers share the cores; OpenMP threads that spin while waiting would starve each other.
test: install test-tools
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check zerohsi plugins tests benchmarks

format: install
	$(BIN)/ruff format zerohsi plugins tests benchmarks

bench: install
	$(BIN)/python benchmarks/perf/render.py

clean:
	rm -rf $(VENV) runs .pytest_cache
