#!/usr/bin/env python3
"""Generates the sample precedents in data/: NDR resolutions and credit overrides of four tenants,
each drawn from a known *scenario*, so that retrieval quality can be measured (does a search
return precedents of the query's scenario, and does their vote predict the outcome?).

Writes, deterministically (fixed seed, Python's `random` only):
  data/sample-precedents.jsonl  the precedents to ingest (Casebook's JSONL, no vectors): the
                                situation in `context` and `text`, what was done in `action` (the
                                text's last sentence is the agent's note of it), how it went in
                                `outcome` and `wasSuccessful`
  data/sample-queries.jsonl     held-out decisions of the same distribution, used as queries: their
                                `text` and `context` describe the situation only, never the decision
                                taken; `action`, `outcome` and `wasSuccessful` record what was done
                                and how it went, for scoring
  data/sample-labels.csv        id,scenario,successProbability for both files (kept out of the
                                precedents, so that labels are never embedded): the scenario, and
                                the probability that the action taken works in that scenario —
                                the value `wasSuccessful` was drawn from
  data/sample-scenarios.json    per scenario, every action's success probability (what a perfect
                                adviser would know), for measuring the regret of suggestions

A scenario fixes the situation (failure reason, payment mode, value range, attempts, customer
tier ...), how agents tend to describe it (several paraphrases, abbreviations, the odd Hinglish
note), which actions are taken, and how likely each action is to work. Scenarios overlap on
purpose — several share a failure reason or a payment mode — so neither the structured fields nor
the words alone identify them.

    python3 benchmarks/generate_sample.py [--precedents 4000] [--queries 1000] [--out data] [--seed N]
"""
import argparse
import csv
import json
import os
import random
from datetime import datetime, timedelta, timezone

SEED = 20261125
TENANTS = [("acme-retail", 0.40), ("globex-fashion", 0.28), ("initech-electronics", 0.20), ("umbrella-pharmacy", 0.12)]
CARRIERS = ["delhivery", "bluedart", "ekart", "xpressbees", "shadowfax", "dtdc"]
METRO_PINCODES = ["110001", "110045", "400001", "400076", "560001", "560103", "600028", "700019"]
OTHER_PINCODES = ["641001", "751001", "832001", "248001", "342001", "495001", "625001", "180001"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def pick(rng, options):
    return options[rng.randrange(len(options))]


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def money(rng, median, spread):
    return round(rng.lognormvariate(0, spread) * median, 2)


# --- NDR scenarios -----------------------------------------------------------------------------
# Each: situation (context fields), phrasing of the situation, actions with success probability.

UNREACHABLE = ["customer not available", "customer unavailable", "customer not reachable on phone",
               "phone switched off", "customer did not pick up the call", "no response from customer",
               "consignee not available at address", "cx not reachable", "customer ne call nahi uthaya"]
ADDRESS = ["address incomplete", "incomplete address, no house number", "address not found by rider",
           "wrong address given", "landmark missing in address", "rider could not locate the address",
           "pata adhoora hai"]
REFUSED = ["customer refused delivery", "customer refused to accept", "order refused at door",
           "customer says he did not order this", "refused, does not want the product anymore"]
CLOSED = ["premises closed", "office closed at time of delivery", "shop shut", "gate locked, nobody at office",
          "closed for lunch when rider arrived"]

NDR_SCENARIOS = {
    "ndr_unreachable_first_cod": dict(
        reason="customer_unreachable", payment=[("cod", 0.9), ("prepaid", 0.1)], attempts=[(1, 0.8), (2, 0.2)],
        value=(900, 0.5), metro=0.6, phrases=UNREACHABLE,
        extra=["first attempt", "1st attempt failed", "ivr call unanswered"],
        actions=[("call_customer_then_reattempt", 0.78), ("reattempt_next_day", 0.62), ("rto", 0.15)],
        tags=["cod"]),
    "ndr_unreachable_repeat_prepaid": dict(
        reason="customer_unreachable", payment=[("prepaid", 0.9), ("cod", 0.1)], attempts=[(2, 0.5), (3, 0.5)],
        value=(3200, 0.6), metro=0.5, phrases=UNREACHABLE,
        extra=["third attempt", "already attempted twice", "repeat failure", "multiple attempts failed"],
        actions=[("hold_at_hub_for_pickup", 0.72), ("call_customer_then_reattempt", 0.55), ("rto", 0.35)],
        tags=["prepaid", "repeat_ndr"]),
    "ndr_high_value_cod_unverified": dict(
        reason="customer_unreachable", payment=[("cod", 1.0)], attempts=[(1, 0.7), (2, 0.3)],
        value=(18000, 0.35), metro=0.7, phrases=UNREACHABLE,
        extra=["high value cod order", "expensive item, cash on delivery", "new customer, first order", "big ticket cod"],
        actions=[("convert_to_prepaid_link", 0.74), ("verify_customer_by_otp_call", 0.66), ("reattempt_next_day", 0.3)],
        tags=["cod", "high_value"]),
    "ndr_fake_attempt_suspected": dict(
        reason="customer_unreachable", payment=[("cod", 0.5), ("prepaid", 0.5)], attempts=[(1, 0.5), (2, 0.5)],
        value=(1500, 0.7), metro=0.8, phrases=["customer says no delivery attempt was made",
                                               "customer was home, rider never came", "fake attempt suspected",
                                               "rider marked unavailable without calling"],
        extra=["customer complained on chat", "call logs show no call from rider", "escalated by customer"],
        actions=[("escalate_to_carrier", 0.8), ("reattempt_next_day", 0.5), ("switch_carrier", 0.6)],
        tags=["carrier_dispute"]),
    "ndr_address_incomplete_metro": dict(
        reason="address_incomplete", payment=[("cod", 0.6), ("prepaid", 0.4)], attempts=[(1, 0.7), (2, 0.3)],
        value=(1100, 0.6), metro=1.0, phrases=ADDRESS,
        extra=["apartment complex, flat number missing", "tower not mentioned", "gated society"],
        actions=[("verify_address_via_whatsapp", 0.8), ("reattempt_with_landmark", 0.55), ("rto", 0.1)],
        tags=["address_issue", "metro"]),
    "ndr_address_incomplete_rural": dict(
        reason="address_incomplete", payment=[("cod", 0.8), ("prepaid", 0.2)], attempts=[(1, 0.5), (2, 0.5)],
        value=(700, 0.5), metro=0.0, phrases=ADDRESS,
        extra=["village address, no street name", "rural route", "near temple, no plot number"],
        actions=[("reattempt_with_landmark", 0.75), ("verify_address_via_whatsapp", 0.5), ("rto", 0.2)],
        tags=["address_issue", "non_metro"]),
    "ndr_refused_cod_impulse": dict(
        reason="customer_refused", payment=[("cod", 1.0)], attempts=[(1, 0.9), (2, 0.1)],
        value=(600, 0.5), metro=0.5, phrases=REFUSED,
        extra=["changed mind", "impulse purchase", "does not have cash", "ordered by mistake"],
        actions=[("rto", 0.82), ("confirm_intent_call", 0.45), ("offer_discount_then_reattempt", 0.3)],
        tags=["cod", "refusal"]),
    "ndr_refused_wrong_item": dict(
        reason="customer_refused", payment=[("prepaid", 0.85), ("cod", 0.15)], attempts=[(1, 1.0)],
        value=(2500, 0.6), metro=0.6, phrases=["customer refused, wrong size ordered", "wrong item, customer refused",
                                               "customer wants a different colour", "refused because of size issue"],
        extra=["exchange requested", "asked for replacement", "size mismatch"],
        actions=[("initiate_exchange", 0.8), ("rto", 0.6), ("confirm_intent_call", 0.35)],
        tags=["refusal", "exchange"]),
    "ndr_premises_closed_office": dict(
        reason="premises_closed", payment=[("prepaid", 0.7), ("cod", 0.3)], attempts=[(1, 0.6), (2, 0.4)],
        value=(2000, 0.7), metro=0.8, phrases=CLOSED,
        extra=["office address", "delivery attempted on saturday", "business hours only", "weekend closure"],
        actions=[("reschedule_weekday_business_hours", 0.82), ("reattempt_next_day", 0.55), ("rto", 0.1)],
        tags=["b2b_address"]),
    "ndr_oda_unserviceable": dict(
        reason="out_of_delivery_area", payment=[("cod", 0.5), ("prepaid", 0.5)], attempts=[(1, 1.0)],
        value=(1300, 0.6), metro=0.0, phrases=["out of delivery area", "pincode not serviceable by carrier",
                                               "oda location", "carrier does not serve this pincode"],
        extra=["remote pincode", "hilly area", "island location"],
        actions=[("switch_carrier", 0.76), ("hold_at_hub_for_pickup", 0.45), ("rto", 0.3)],
        tags=["oda", "non_metro"]),
}

NDR_REASONING = {
    "call_customer_then_reattempt": ["called the customer and scheduled a reattempt", "reached customer on call, reattempt booked",
                                     "spoke to customer, will reattempt tomorrow"],
    "reattempt_next_day": ["reattempt next day", "marked for reattempt tomorrow", "asked carrier to retry next day"],
    "rto": ["return to origin", "initiated rto", "sent back to warehouse (rto)"],
    "hold_at_hub_for_pickup": ["held at hub for self pickup", "asked customer to collect from hub", "hub pickup arranged"],
    "convert_to_prepaid_link": ["sent prepaid payment link", "converted to prepaid via payment link", "asked for advance payment by link"],
    "verify_customer_by_otp_call": ["verified customer by otp call", "otp verification call done", "confirmed identity by otp"],
    "escalate_to_carrier": ["escalated fake attempt to carrier", "raised complaint with carrier hub", "escalated to carrier ops"],
    "switch_carrier": ["switched to another carrier", "reassigned to a different courier", "moved shipment to alternate carrier"],
    "verify_address_via_whatsapp": ["verified address on whatsapp", "got pin location on whatsapp", "customer shared live location on whatsapp"],
    "reattempt_with_landmark": ["reattempt with landmark from customer", "added landmark and retried", "got landmark, reattempt scheduled"],
    "confirm_intent_call": ["called to confirm intent", "intent confirmation call", "checked if customer still wants it"],
    "offer_discount_then_reattempt": ["offered discount and reattempted", "gave coupon to accept delivery", "discount offered for acceptance"],
    "initiate_exchange": ["initiated exchange", "exchange order created", "replacement arranged"],
    "reschedule_weekday_business_hours": ["rescheduled for weekday business hours", "delivery slot moved to office hours",
                                          "rescheduled to monday morning"],
}

# --- Credit scenarios ----------------------------------------------------------------------------

CREDIT_SCENARIOS = {
    "credit_loyal_small_overrun": dict(
        tier=[("gold", 0.7), ("platinum", 0.3)], tenure=(48, 0.4), utilisation=(0.95, 1.08), overdue=(0, 12),
        order=(40000, 0.5), phrases=["long-standing customer slightly over limit", "loyal dealer, small overrun",
                                     "trusted account just above credit limit", "regular buyer, minor limit breach"],
        actions=[("approve_override", 0.88), ("approve_with_partial_advance", 0.8), ("decline", 0.35)],
        tags=["b2b", "loyal"]),
    "credit_new_customer_large_order": dict(
        tier=[("standard", 0.8), ("silver", 0.2)], tenure=(4, 0.5), utilisation=(0.8, 1.6), overdue=(0, 5),
        order=(250000, 0.4), phrases=["new customer with a large first order", "new account, order far above limit",
                                      "recently onboarded buyer, big order", "first large order from new dealer"],
        actions=[("approve_with_partial_advance", 0.78), ("approve_override", 0.3), ("decline", 0.5)],
        tags=["b2b", "new_account"]),
    "credit_chronic_late_payer": dict(
        tier=[("standard", 0.6), ("silver", 0.4)], tenure=(24, 0.6), utilisation=(1.05, 1.4), overdue=(45, 120),
        order=(60000, 0.6), phrases=["invoices overdue for months", "chronic late payer asking for more credit",
                                     "repeatedly misses payment terms", "old dues pending, wants override"],
        actions=[("decline", 0.85), ("approve_with_partial_advance", 0.4), ("approve_override", 0.15)],
        tags=["b2b", "overdue"]),
    "credit_seasonal_spike": dict(
        tier=[("silver", 0.6), ("gold", 0.4)], tenure=(30, 0.5), utilisation=(1.1, 1.35), overdue=(0, 20),
        order=(120000, 0.5), phrases=["festival season stock-up", "diwali season order spike", "seasonal demand, larger order than usual",
                                      "pre-festive inventory build"],
        actions=[("temporary_limit_increase", 0.84), ("approve_override", 0.7), ("decline", 0.3)],
        tags=["b2b", "seasonal"]),
    "credit_disputed_invoice": dict(
        tier=[("gold", 0.5), ("silver", 0.5)], tenure=(36, 0.5), utilisation=(0.9, 1.2), overdue=(30, 75),
        order=(50000, 0.6), phrases=["overdue because an invoice is under dispute", "payment held over disputed invoice",
                                     "dispute on short shipment, payment withheld", "invoice dispute pending resolution"],
        actions=[("approve_pending_dispute_resolution", 0.8), ("decline", 0.45), ("approve_override", 0.55)],
        tags=["b2b", "dispute"]),
}

CREDIT_REASONING = {
    "approve_override": ["approved the override", "override approved by finance", "credit override granted"],
    "approve_with_partial_advance": ["approved with 30% advance", "approved against partial advance payment", "asked for part advance, then approved"],
    "decline": ["declined the override", "override rejected until dues are cleared", "request declined by credit team"],
    "temporary_limit_increase": ["temporary limit increase for the season", "limit raised for 45 days", "one-time seasonal limit bump"],
    "approve_pending_dispute_resolution": ["approved while the dispute is resolved", "approved, dispute ticket tracked",
                                           "released order pending dispute closure"],
}

NDR_OUTCOMES = {True: ["delivered", "delivered_on_reattempt", "picked_up_at_hub"], False: ["returned_to_origin", "failed_again", "cancelled"]}
RTO_OUTCOMES = {True: ["returned_to_origin_cleanly"], False: ["returned_to_origin_lost_sale"]}
CREDIT_OUTCOMES = {True: ["paid_on_time", "paid_within_terms"], False: ["payment_defaulted", "paid_late", "order_lost"]}


def ndr_precedent(rng, scenario_name, tenant_bias):
    s = NDR_SCENARIOS[scenario_name]
    payment = weighted(rng, s["payment"])
    attempts = weighted(rng, s["attempts"])
    metro = rng.random() < s["metro"]
    pincode = pick(rng, METRO_PINCODES if metro else OTHER_PINCODES)
    value = money(rng, *s["value"])
    action = weighted(rng, [(a, 1.0 + tenant_bias.get(a, 0)) for a, _ in s["actions"]])
    p_success = dict(s["actions"])[action]
    success = rng.random() < p_success
    situation = pick(rng, s["phrases"])
    parts = [situation]
    if rng.random() < 0.7:
        parts.append(pick(rng, s["extra"]))
    if rng.random() < 0.3:
        parts.append(f"attempt {attempts}")
    reasoning = pick(rng, NDR_REASONING[action])
    situation_text = "; ".join(parts) + "."
    note = " " + reasoning[0].upper() + reasoning[1:] + "."
    if rng.random() < 0.25:
        situation_text, note = situation_text.replace("customer", "cust"), note.replace("customer", "cust")
    context = {
        "carrier": pick(rng, CARRIERS), "reason": s["reason"], "attempts": attempts, "pincode": pincode,
        "metro": metro, "orderValue": value, "paymentMode": payment,
    }
    if rng.random() < 0.5:
        context["customer"] = {"orders": rng.randint(0, 40), "priorNdrs": rng.randint(0, 4)}
    tags = list(s["tags"])
    if payment == "cod" and "cod" not in tags:
        tags.append("cod")
    outcomes = RTO_OUTCOMES if action == "rto" else NDR_OUTCOMES
    return "ndr_resolution", context, (situation_text, note), action, pick(rng, outcomes[success]), success, tags, p_success


def credit_precedent(rng, scenario_name, tenant_bias):
    s = CREDIT_SCENARIOS[scenario_name]
    tier = weighted(rng, s["tier"])
    tenure = max(1, int(rng.lognormvariate(0, s["tenure"][1]) * s["tenure"][0]))
    utilisation = round(rng.uniform(*s["utilisation"]), 3)
    overdue = rng.randint(*s["overdue"])
    order = money(rng, *s["order"])
    action = weighted(rng, [(a, 1.0 + tenant_bias.get(a, 0)) for a, _ in s["actions"]])
    p_success = dict(s["actions"])[action]
    success = rng.random() < p_success
    situation = pick(rng, s["phrases"])
    reasoning = pick(rng, CREDIT_REASONING[action])
    situation_text = f"{situation}; utilisation {round(utilisation * 100)}%, {overdue} days overdue."
    note = f" {reasoning[0].upper() + reasoning[1:]}."
    context = {
        "customerTier": tier, "tenureMonths": tenure, "limitUtilisation": utilisation, "overdueDays": overdue,
        "orderValue": order, "creditLimit": round(order / max(utilisation, 0.5) * rng.uniform(0.8, 1.2), -3),
    }
    return ("credit_override", context, (situation_text, note), action, pick(rng, CREDIT_OUTCOMES[success]), success,
            list(s["tags"]), p_success)


def tenant_biases(rng):
    """Each tenant prefers some actions a little (its own playbook)."""
    actions = list(NDR_REASONING) + list(CREDIT_REASONING)
    return {tenant: {a: rng.uniform(-0.5, 1.0) for a in actions} for tenant, _ in TENANTS}


def scenario_weights(rng):
    names = list(NDR_SCENARIOS) + list(CREDIT_SCENARIOS)
    return {tenant: [(n, rng.uniform(0.4, 1.6) * (1.0 if n.startswith("ndr") else 0.8)) for n in names] for tenant, _ in TENANTS}


def generate(count, prefix, rng, biases, mix, start_minutes, with_note=True):
    """Rows of `count` decisions. Without `with_note` (queries), the text describes the situation
    only: the agent's note of what it did would name the decision being asked about."""
    rows = []
    minutes = start_minutes
    for i in range(count):
        tenant = weighted(rng, TENANTS)
        scenario = weighted(rng, mix[tenant])
        maker = ndr_precedent if scenario.startswith("ndr") else credit_precedent
        category, context, (situation_text, note), action, outcome, success, tags, p_success = maker(
            rng, scenario, biases[tenant])
        minutes += rng.randint(5, 150)
        created = START + timedelta(minutes=minutes)
        row = {
            "id": f"{prefix}-{i + 1:05d}", "tenant": tenant, "category": category,
            "decisionEventId": f"evt-{prefix}-{i + 1:05d}", "context": context,
            "text": situation_text + note if with_note else situation_text, "action": action, "outcome": outcome, "wasSuccessful": success, "tags": sorted(set(tags)),
            "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        rows.append((row, scenario, p_success))
    return rows, minutes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precedents", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
    parser.add_argument("--seed", type=int, default=SEED, help="another seed gives another dataset of the same kind")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    biases = tenant_biases(rng)
    mix = scenario_weights(rng)
    precedents, minutes = generate(args.precedents, "p", rng, biases, mix, 0)
    queries, _ = generate(args.queries, "q", rng, biases, mix, minutes, with_note=False)
    os.makedirs(args.out, exist_ok=True)
    for name, rows in [("sample-precedents.jsonl", precedents), ("sample-queries.jsonl", queries)]:
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            for row, _, _ in rows:
                f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    with open(os.path.join(args.out, "sample-labels.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "scenario", "successProbability"])
        for row, scenario, p_success in precedents + queries:
            writer.writerow([row["id"], scenario, p_success])
    scenarios = {name: dict(s["actions"]) for name, s in list(NDR_SCENARIOS.items()) + list(CREDIT_SCENARIOS.items())}
    with open(os.path.join(args.out, "sample-scenarios.json"), "w", encoding="utf-8") as f:
        json.dump(scenarios, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(precedents)} precedents, {len(queries)} queries and their scenario labels to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
