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

The packet filter extras (REQUIRED_EXTRAS, issue 17 item 7) must be present and measured the same way
(status, finite value, unit, fixed goal, samples, statistics, a raw samples file holding exactly that many
numbers). Their goals are reported, not gated: a figure over its goal is a finding printed as a note,
but its within_goal flag must tell the truth.
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
# Extras each report must carry inside a metric's object: key -> where, unit, goal (not a budget),
# minimum samples (scaled like the metrics' under --short) and, for per-rule-count figures, the cases.
REQUIRED_EXTRAS = {
    "packet_filter_apply": {"metric": "route_policy_apply_p95_seconds", "unit": "ms", "goal": 50.0,
                            "min_samples": 10, "cases": (1000, 10000)},
    "packet_filter_overhead": {"metric": "throughput_overhead_percent", "unit": "percent", "goal": 2.0,
                               "min_samples": 3},
}
STAT_KEYS = ("min", "median", "p95", "max")


# Shortest idle window (seconds) behind idle_cpu_percent / idle_rss_mb: full run and CI short form.
MIN_IDLE_WINDOW_SECONDS = {"full": 60.0, "short": 15.0}
# validate_report.py --short: the CI short form needs this fraction of each minimum sample count.
SHORT_SAMPLE_SCALE = 0.3


def finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def raw_number_count(path):
    count = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                float(line.split()[0])
                count += 1
    return count


def validate_figure(label, figure, spec, report_dir, min_samples_scale):
    """One measured extra figure: the same evidence as a metric, judged against a goal, not a budget."""
    if not isinstance(figure, dict):
        return [f"{label}: required extra is missing"]
    if figure.get("status") != "measured":
        return [f"{label}: status is {figure.get('status')!r}; only 'measured' is acceptable"]
    value = figure.get("value")
    if not finite(value):
        return [f"{label}: value {value!r} is not a finite number"]
    errors = []
    if figure.get("unit") != spec["unit"]:
        errors.append(f"{label}: unit {figure.get('unit')!r}, expected {spec['unit']!r}")
    if figure.get("goal") != spec["goal"]:
        errors.append(f"{label}: goal {figure.get('goal')!r} differs from the issue's goal {spec['goal']}")
    if figure.get("within_goal") is not (value <= spec["goal"]):
        errors.append(f"{label}: within_goal {figure.get('within_goal')!r} disagrees with value {value} vs goal {spec['goal']}")
    samples = figure.get("samples")
    needed = max(1, int(spec["min_samples"] * min_samples_scale))
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < needed:
        errors.append(f"{label}: {samples!r} samples, at least {needed} required")
    stats = [figure.get(s) for s in STAT_KEYS]
    if not all(finite(s) for s in stats):
        errors.append(f"{label}: statistics {STAT_KEYS} must all be finite numbers")
    elif not (stats[0] <= stats[1] <= stats[3] and stats[0] <= stats[2] <= stats[3] and stats[0] <= value <= stats[3]):
        errors.append(f"{label}: inconsistent statistics {dict(zip(STAT_KEYS, stats))} for value {value}")
    raw = figure.get("raw_samples_file")
    path = os.path.join(report_dir, raw) if isinstance(raw, str) and raw else None
    if path is None or not os.path.isfile(path):
        errors.append(f"{label}: raw samples file {raw!r} is missing")
    else:
        try:
            count = raw_number_count(path)
        except (OSError, ValueError) as error:
            errors.append(f"{label}: raw samples file {raw!r} unreadable: {error}")
        else:
            if count != samples:
                errors.append(f"{label}: raw samples file {raw!r} holds {count} numbers, the figure says {samples}")
    return errors


def extra_figures(key, spec, extra):
    """(label, figure) pairs of one required extra (one per rule count for per-case extras)."""
    label = f"{spec['metric']}.{key}"
    if "cases" not in spec:
        return [(label, extra)], []
    if not isinstance(extra, dict) or extra.get("status") != "measured" or not isinstance(extra.get("cases"), list):
        status = extra.get("status") if isinstance(extra, dict) else None
        problem = "required extra is missing" if extra is None else f"status is {status!r} or no cases"
        return [], [f"{label}: {problem}"]
    by_rules = {c.get("rules"): c for c in extra["cases"] if isinstance(c, dict)}
    return [(f"{label}[{rules} rules]", by_rules.get(rules)) for rules in spec["cases"]], []


def validate_extras(by_key, report_dir, min_samples_scale):
    errors = []
    for key, spec in REQUIRED_EXTRAS.items():
        metric = by_key.get(spec["metric"])
        if not isinstance(metric, dict):
            continue  # the missing metric is reported already
        figures, problems = extra_figures(key, spec, metric.get(key))
        errors += problems
        for label, figure in figures:
            errors += validate_figure(label, figure, spec, report_dir, min_samples_scale)
    return errors


def goal_notes(report):
    """Extras measured over their goal: findings to print, never failures."""
    notes = []
    by_key = {m.get("key"): m for m in report.get("metrics", []) if isinstance(m, dict)}
    for key, spec in REQUIRED_EXTRAS.items():
        metric = by_key.get(spec["metric"])
        if not isinstance(metric, dict):
            continue
        figures, _ = extra_figures(key, spec, metric.get(key))
        for label, figure in figures:
            if isinstance(figure, dict) and figure.get("within_goal") is False:
                notes.append(f"{label}: {figure.get('value')} {spec['unit']} is over the goal {spec['goal']} "
                             "(reported, not gated)")
    return notes


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
    errors += validate_extras(by_key, report_dir, min_samples_scale)
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
    for note in goal_notes(report):
        print(f"validate_report: note: {note}")
    print(f"validate_report: {path}: all {len(BUDGETS)} metrics measured and within budget, "
          f"{len(REQUIRED_EXTRAS)} extras measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
