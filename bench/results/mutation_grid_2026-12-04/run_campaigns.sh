#!/bin/bash
# re-measure the mutation table: smallest template files first
cd /tmp/mut
export PYTHONPATH=/tmp/mut PYTHONUNBUFFERED=1
OUT=/tmp/mut/out; mkdir -p $OUT
run() { name=$1; shift; echo "== $name start $(date -u +%T)"; /usr/bin/time -v nice -n 10 .venv/bin/python bench/mutation_campaigns.py grid "$@" --out $OUT --jobs 2 --prove --prove-timeout 120 > $OUT/$name.log 2>&1; echo "== $name rc=$? end $(date -u +%T)"; }
run activation activation_silu_q2_3
run softmax softmax_16x4_q3_4
run attention attention_d8_s10_b4 --extra attention_d4_s16_b8_p12 attention_d1_s511_b8
run norm norm_layernorm_16x4 --extra norm_layernorm_8x2_affine norm_rmsnorm_4x4_nb1 norm_layernorm_6x6_nb1 norm_layernorm_2x1_small_v
run requant requant_int8_mixed
run gemm_ws gemm_ws_4x3_int4_sat --extra gemm_ws_3x2_uint4_sat_k2
#!/bin/bash
cd /tmp/mut
export PYTHONUNBUFFERED=1
OUT=/tmp/mut/out
echo "== gemm_os start $(date -u +%T)"; /usr/bin/time -v .venv/bin/python bench/mutation_campaigns.py grid gemm_4x4_int8 --extra gemm_os_3x2_uint4_sat_k2 --out $OUT --jobs 2 --prove --prove-timeout 200 > $OUT/gemm_os.log 2>&1; echo "== gemm_os rc=$? end $(date -u +%T)"
