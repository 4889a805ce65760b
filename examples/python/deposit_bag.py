"""Deposit a bag and check it arrived: python deposit_bag.py BAG TARGET-URL"""

import sys

import bagsmith

bag, target = sys.argv[1], sys.argv[2]
try:
    done = bagsmith.deposit(bag, target)
except bagsmith.BagError as exc:  # the bag is not valid: nothing was sent
    sys.exit(f"refused: {exc}")
except bagsmith.DepositError as exc:  # the transfer failed; exc.reason says why
    sys.exit(f"failed ({getattr(exc, 'reason', 'unknown')}): {exc}")
print(f"{done.outcome} at {done.location}; verified: {done.verified}")
print(f"  sha256 of the bag: {done.checksums.get('bag-sha256')}")
