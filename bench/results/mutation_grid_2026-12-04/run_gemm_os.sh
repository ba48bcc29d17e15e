#!/bin/bash
cd /tmp/mut
export PYTHONUNBUFFERED=1 PYTHONPATH=/tmp/mut
OUT=/tmp/mut/out
echo "== gemm_os start $(date -u +%T)"; /usr/bin/time -v .venv/bin/python bench/mutation_campaigns.py grid gemm_4x4_int8 --extra gemm_os_3x2_uint4_sat_k2 --out $OUT --jobs 2 --prove --prove-timeout 200 > $OUT/gemm_os.log 2>&1; echo "== gemm_os rc=$? end $(date -u +%T)"
