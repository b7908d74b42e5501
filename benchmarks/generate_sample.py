#!/usr/bin/env python3
"""Writes data/sample-precedents.jsonl and data/sample-query.json: NDR-resolution and
credit-override precedents for three tenants, deterministic (fixed seed).

Until the hashed featurizer lands, each precedent carries a small hand-built 8-d feature vector
so the sample runs with the external-vector embedder:
  [cod, prepaid, attempts/3, customer_unreachable, address_issue, refused, metro, high_value]
"""
import json
import random
from datetime import datetime, timedelta, timezone

random.seed(20260118)
TENANTS = ["acme-retail", "globex-fashion", "initech-electronics"]
CARRIERS = ["delhivery", "bluedart", "ekart", "xpressbees", "shadowfax"]
REASONS = ["customer_unreachable", "address_incomplete", "customer_refused", "premises_closed"]
ACTIONS = {
    "customer_unreachable": ["reattempt_next_day", "call_customer_then_reattempt", "rto"],
    "address_incomplete": ["verify_address_via_whatsapp", "reattempt_with_landmark", "rto"],
    "customer_refused": ["rto", "offer_discount_then_reattempt", "confirm_intent_call"],
    "premises_closed": ["reattempt_next_day", "reschedule_weekend"],
}
METROS = {"110001": True, "400001": True, "560001": True, "641001": False, "751001": False, "832001": False}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def ndr(i, tenant):
    reason = random.choice(REASONS)
    pincode = random.choice(list(METROS))
    cod = random.random() < 0.6
    attempts = random.randint(1, 3)
    value = round(random.lognormvariate(7.2, 0.8), 2)
    action = random.choice(ACTIONS[reason])
    success_rate = {"rto": 0.2}.get(action, 0.7 if attempts < 3 else 0.4)
    success = random.random() < success_rate
    vector = [
        1.0 if cod else 0.0, 0.0 if cod else 1.0, attempts / 3,
        1.0 if reason == "customer_unreachable" else 0.0,
        1.0 if reason == "address_incomplete" else 0.0,
        1.0 if reason == "customer_refused" else 0.0,
        1.0 if METROS[pincode] else 0.0,
        1.0 if value > 3000 else 0.0,
    ]
    return {
        "id": f"ndr-{i:05d}", "tenant": tenant, "category": "ndr_resolution",
        "decisionEventId": f"evt-{i:05d}",
        "context": {"carrier": random.choice(CARRIERS), "reason": reason, "attempts": attempts,
                    "pincode": pincode, "orderValue": value, "paymentMode": "cod" if cod else "prepaid"},
        "text": f"{reason.replace('_', ' ')} after {attempts} attempt(s); chose {action.replace('_', ' ')}",
        "outcome": "delivered" if success else "returned_to_origin",
        "wasSuccessful": success,
        "tags": [t for t in ["cod" if cod else "prepaid", "metro" if METROS[pincode] else "non_metro",
                             "high_value" if value > 3000 else None] if t],
        "createdAt": (START + timedelta(hours=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vector": [round(x, 4) for x in vector],
    }


def credit(i, tenant):
    overdue_days = random.choice([0, 0, 15, 30, 45, 90])
    utilisation = round(random.uniform(0.6, 1.4), 2)
    approved = random.random() < (0.8 if overdue_days <= 15 else 0.3)
    success = approved and random.random() < (0.85 if overdue_days == 0 else 0.5)
    vector = [0.0, 1.0, min(overdue_days / 90, 1.0), 0.0, 0.0, 0.0, 1.0, 1.0 if utilisation > 1 else 0.0]
    return {
        "id": f"credit-{i:05d}", "tenant": tenant, "category": "credit_override",
        "context": {"overdueDays": overdue_days, "limitUtilisation": utilisation,
                    "customerTier": random.choice(["gold", "silver", "new"])},
        "text": f"override {'approved' if approved else 'declined'} at {int(utilisation * 100)}% utilisation, {overdue_days} days overdue",
        "outcome": "paid_on_time" if success else ("declined" if not approved else "payment_late"),
        "wasSuccessful": success,
        "tags": ["b2b", "overdue" if overdue_days else "current"],
        "createdAt": (START + timedelta(hours=11 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vector": [round(x, 4) for x in vector],
    }


with open("data/sample-precedents.jsonl", "w") as out:
    for i in range(600):
        tenant = TENANTS[i % 3]
        record = ndr(i, tenant) if i % 5 else credit(i, tenant)
        out.write(json.dumps(record, separators=(",", ":")) + "\n")

# A new NDR: COD, second attempt, customer unreachable, metro pincode, ordinary value.
with open("data/sample-query.json", "w") as out:
    json.dump([1, 0, 0.6667, 1, 0, 0, 1, 0], out)
    out.write("\n")
