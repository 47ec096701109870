#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Validates artifacts/perf/phase1/baseline.json (spec section 8, fail closed).

usage: validate_report.py REPORT.json [--short]
  --short  the CI short form: minimum sample counts scaled by 0.3 (at least 1), idle window >= 15 s
           instead of 60 s. Without it a report whose mode is "short" fails.

Fails on: a missing required metric key, a status other than measured, a unit or threshold that differs
from the budget, a value that breaks its threshold, too few samples, inconsistent sample statistics,
missing raw samples, or missing environment fields. "not_measurable", placeholders and reason codes for
unavailable measurements are failures, never passes.
"""
import json
import math
import os
import sys

# The Phase 1 budgets (spec section 8). comparator "le": value must be <= threshold.
BUDGETS = {
    "idle_cpu_percent": {"unit": "percent", "threshold": 2.0, "comparator": "le", "min_samples": 1},
    "idle_rss_mb": {"unit": "MB", "threshold": 120.0, "comparator": "le", "min_samples": 1},
    "reconnect_seconds": {"unit": "s", "threshold": 5.0, "comparator": "le", "min_samples": 10},
    # Issue 11: reconnect after a daemon restart "and, separately, a peer's endpoint change" (same budget).
    "reconnect_endpoint_change_seconds": {"unit": "s", "threshold": 5.0, "comparator": "le", "min_samples": 10},
    # The same budget when a running node's underlay address moves (docs/performance.md, section 5b).
    "reconnect_address_change_seconds": {"unit": "s", "threshold": 5.0, "comparator": "le", "min_samples": 10},
    "route_policy_apply_p95_seconds": {"unit": "s", "threshold": 2.0, "comparator": "le", "min_samples": 20},
    "throughput_overhead_percent": {"unit": "percent", "threshold": 15.0, "comparator": "le", "min_samples": 3},
}
REQUIRED_ENVIRONMENT = ("cpu_model", "cores", "kernel", "wireguard_driver", "commit")
STAT_KEYS = ("min", "median", "p95", "max")


# Shortest idle window (seconds) behind idle_cpu_percent / idle_rss_mb: full run and CI short form.
MIN_IDLE_WINDOW_SECONDS = {"full": 60.0, "short": 15.0}
# validate_report.py --short: the CI short form needs this fraction of each minimum sample count.
SHORT_SAMPLE_SCALE = 0.3


def validate(report, report_dir, min_samples_scale=1.0):
    errors = []
    if report.get("schema_version") != 1:
        errors.append(f"schema_version must be 1, got {report.get('schema_version')!r}")
    short = min_samples_scale < 1.0
    mode = report.get("mode", "full")
    if mode not in MIN_IDLE_WINDOW_SECONDS:
        errors.append(f"mode must be full or short, got {mode!r}")
    elif mode == "short" and not short:
        errors.append("a short-form report (mode short) cannot pass as the full baseline; use --short")
    environment = report.get("environment")
    if not isinstance(environment, dict):
        errors.append("environment is missing")
    else:
        for key in REQUIRED_ENVIRONMENT:
            if key not in environment or environment[key] in (None, ""):
                errors.append(f"environment.{key} is missing")
        if environment.get("wireguard_driver") not in ("kernel", "userspace", None, ""):
            errors.append(f"environment.wireguard_driver must be kernel or userspace")
    metrics = report.get("metrics")
    if not isinstance(metrics, list):
        return errors + ["metrics must be a list"]
    by_key = {}
    for metric in metrics:
        key = metric.get("key") if isinstance(metric, dict) else None
        if key in by_key:
            errors.append(f"metric {key} appears twice")
        by_key[key] = metric
    for key, budget in BUDGETS.items():
        metric = by_key.get(key)
        if metric is None:
            errors.append(f"{key}: required metric is missing")
            continue
        status = metric.get("status")
        if status != "measured":
            errors.append(f"{key}: status is {status!r}; only 'measured' is acceptable")
            continue
        value = metric.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            errors.append(f"{key}: value {value!r} is not a finite number")
            continue
        if metric.get("unit") != budget["unit"]:
            errors.append(f"{key}: unit {metric.get('unit')!r}, expected {budget['unit']!r}")
        if metric.get("threshold") != budget["threshold"]:
            errors.append(f"{key}: threshold {metric.get('threshold')!r} differs from the budget {budget['threshold']}")
        passed = value <= budget["threshold"]
        if metric.get("pass") is not passed:
            errors.append(f"{key}: pass flag {metric.get('pass')!r} disagrees with value {value} vs {budget['threshold']}")
        if not passed:
            errors.append(f"{key}: {value} {budget['unit']} exceeds the threshold {budget['threshold']}")
        samples = metric.get("samples")
        needed = max(1, int(budget["min_samples"] * min_samples_scale))
        if not isinstance(samples, int) or samples < needed:
            errors.append(f"{key}: {samples!r} samples, at least {needed} required")
        stats = [metric.get(s) for s in STAT_KEYS]
        if not all(isinstance(s, (int, float)) and math.isfinite(s) for s in stats):
            errors.append(f"{key}: statistics {STAT_KEYS} must all be finite numbers")
        elif not (stats[0] <= stats[1] <= stats[3] and stats[0] <= stats[2] <= stats[3]):
            errors.append(f"{key}: inconsistent statistics {dict(zip(STAT_KEYS, stats))}")
        if key == "idle_cpu_percent":
            window = metric.get("idle_window_seconds")
            needed_window = MIN_IDLE_WINDOW_SECONDS["short" if short else "full"]
            if not isinstance(window, (int, float)) or isinstance(window, bool) or window < needed_window:
                errors.append(f"{key}: idle window {window!r} s, at least {needed_window} s required")
        raw = metric.get("raw_samples_file")
        if not raw or not os.path.isfile(os.path.join(report_dir, raw)):
            errors.append(f"{key}: raw samples file {raw!r} is missing")
    for key in by_key:
        if key not in BUDGETS:
            errors.append(f"{key}: unknown metric key")
    return errors


def main():
    if len(sys.argv) < 2:
        print("usage: validate_report.py REPORT.json [--short]", file=sys.stderr)
        return 2
    path = sys.argv[1]
    scale = SHORT_SAMPLE_SCALE if "--short" in sys.argv[2:] else 1.0
    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, ValueError) as error:
        print(f"validate_report: cannot read {path}: {error}", file=sys.stderr)
        return 1
    errors = validate(report, os.path.dirname(os.path.abspath(path)), scale)
    for error in errors:
        print(f"validate_report: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"validate_report: {path}: all {len(BUDGETS)} metrics measured and within budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
