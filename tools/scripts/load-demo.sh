#!/usr/bin/env bash
# Loads the demo region's budget lines into a running suite (safe to run
# again: every call carries a fixed request_id, so a rerun changes nothing).
# Usage: load-demo.sh DATA_DIR OPERATOR_TOKEN
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN="$2"
CTL=build/tools/herstelctl/herstelctl
MANDATE=127.0.0.1:50052

line() {  # id display_name source owner municipality ceiling_cents
  $CTL --token="$TOKEN" call "$MANDATE" herstel.v1.MandateService/CreateBudgetLine "{
    \"budget_line_id\": \"$1\", \"request_id\": \"demo-line-$1\",
    \"budget_line\": {\"display_name\": \"$2\", \"source\": \"$3\", \"owner\": \"$4\",
                      \"municipality\": \"$5\", \"year\": 2026, \"ceiling_cents\": $6}}" >/dev/null
}

line veiligheid-2026 "Veiligheidsgeld versterking 2026" BUDGET_SOURCE_SAFETY NCG "" 50000000000
line npg-2026 "Nationaal Programma Groningen 2026" BUDGET_SOURCE_REGIONAL_PROGRAMME "Provincie Groningen" "" 10000000000
for municipality in eemsdelta het-hogeland groningen midden-groningen oldambt; do
  line "knelpunt-$municipality-2026" "Knelpuntenbudget $municipality 2026" BUDGET_SOURCE_BOTTLENECK_BUDGET \
    "municipalities/$municipality" "municipalities/$municipality" 500000000
done
echo "herstel: demo budget lines loaded (7 lines)"
