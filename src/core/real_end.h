/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* real_end.h -- undo core/real.h (after a template's declarations). */
#undef CPAE__TPL
#undef real
#undef X
#undef LAYER
#undef CHAIN
#undef LAPACKE_R
