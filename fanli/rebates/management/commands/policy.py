"""``fanli policy schema | apply FILE... | list | show CODE | what-if FILE PERIOD | effectiveness CODE PERIOD``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils import timezone

from fanli.common.command import FanliCommand
from fanli.common.exceptions import NotFound, ValidationFailed
from fanli.common.money import format_minor
from fanli.rebates.document import load_policy_text, policy_json_schema
from fanli.rebates.effectiveness import percent, policy_effectiveness
from fanli.rebates.models import Policy, PolicyVersion
from fanli.rebates.preview import what_if
from fanli.rebates.services import policy_apply


class Command(FanliCommand):
    help = "Rebate policy documents: print the JSON Schema, apply YAML/JSON files, list and show versions."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("schema", help="print the policy document JSON Schema")
        apply = sub.add_parser("apply", help="validate and publish policy files (a new version when changed)")
        apply.add_argument("files", nargs="+")
        apply.add_argument("--draft", action="store_true", help="store as a draft version, do not publish")
        sub.add_parser("list", help="policies and their versions")
        show = sub.add_parser("show", help="the published document of a policy")
        show.add_argument("code")
        show.add_argument("--version", type=int)
        whatif = sub.add_parser("what-if", help="a policy file over an ended period beside the version in force; "
                                               "stores nothing")
        whatif.add_argument("file")
        whatif.add_argument("period", help="an ended settlement period, e.g. 2026-Q3")
        whatif.add_argument("--rows", type=int, default=20, help="customers to list, largest difference first")
        effect = sub.add_parser("effectiveness", help="participants, tiers, cost, uplift and return over an ended period")
        effect.add_argument("code")
        effect.add_argument("period", help="an ended settlement period, e.g. 2026-Q3")

    def work(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _what_if(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise ValidationFailed(f"{path}: no such file")
        preview = what_if(load_policy_text(path.read_text(encoding="utf-8")), options["period"],
                          today=timezone.localdate())
        compared = f"v{preview.in_force.number} in force" if preview.in_force else "nothing in force"
        self.out(f"{preview.period.key}: this file pays {format_minor(preview.total_minor)} to {preview.participants} "
                 f"customer(s); {compared} pays {format_minor(preview.in_force_total_minor)}; difference "
                 f"{format_minor(preview.difference_minor)}; {preview.gainers} gain, {preview.losers} lose")
        self.out("tiers: " + ", ".join(f"{'below the first' if tier is None else f'tier {tier}'} {count}"
                                       for tier, count in preview.tiers))
        for row in preview.rows[:options["rows"]]:
            self.out(f"  {row.code:<10} tier {row.tier or '-'}  {format_minor(row.amount_minor):>14}  "
                     f"{format_minor(row.in_force_minor):>14}  {format_minor(row.difference_minor):>14}")

    def _schema(self, options: dict[str, Any]) -> None:
        self.out(json.dumps(policy_json_schema(), ensure_ascii=False, indent=2))

    def _apply(self, options: dict[str, Any]) -> None:
        actor = self.actor(options)

        def apply(text: str) -> tuple[Any, bool]:
            applied = policy_apply(text=text, actor=actor, publish=not options["draft"])
            return applied.version, applied.created

        self.apply_files(options["files"], apply, lambda version: version.policy.code)

    def _list(self, options: dict[str, Any]) -> None:
        for policy in Policy.objects.prefetch_related("versions"):
            versions = ", ".join(f"v{v.number} {v.status}" for v in sorted(policy.versions.all(), key=lambda v: v.number))
            self.out(f"{policy.code:24} {policy.name}  [{versions}]")

    def _show(self, options: dict[str, Any]) -> None:
        qs = PolicyVersion.objects.filter(policy__code=options["code"])
        version = qs.filter(number=options["version"]).first() if options["version"] else (
            qs.filter(status=PolicyVersion.Status.PUBLISHED).first() or qs.order_by("-number").first())
        if version is None:
            raise NotFound(f"no policy {options['code']}" + (f" v{options['version']}" if options["version"] else ""))
        self.out_json({"version": version.number, "status": version.status, "document": version.document})

    def _effectiveness(self, options: dict[str, Any]) -> None:
        report = policy_effectiveness(options["code"], options["period"], today=timezone.localdate())
        r = report.result

        def shown(value: Any, unit: str = "") -> str:
            return "-" if value is None else f"{value}{unit}"

        self.out(f"{report.policy.code} v{report.version.number} {report.period.key} against {report.year_before.key}")
        self.out(f"participants {r.participants} ({r.paid} with a rebate), rebate {format_minor(r.rebate_minor)}, "
                 f"{shown(r.cost_of_sales, ' %')} of their sales, {shown(r.cost_of_basis, ' %')} of the basis")
        for tier, count, share in r.tier_shares():
            self.out(f"  {'below the first tier' if tier is None else f'tier {tier}'}: {count} ({share} %)")
        self.out(f"growth on a year earlier: participants {shown(percent(r.panel.growth), ' %')} "
                 f"({r.panel.customers} customers, {r.new_participants} new), comparison group "
                 f"{shown(percent(r.comparison.growth), ' %')} ({r.comparison.customers} customers"
                 f"{', other kinds' if report.widened else ''})")
        incremental = None if r.incremental_minor is None else format_minor(r.incremental_minor)
        self.out(f"difference in differences {shown(r.difference_points, ' points')}, incremental sales "
                 f"{shown(incremental)}, {shown(r.return_per_yuan)} per yuan of rebate")
