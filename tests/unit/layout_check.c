// SPDX-License-Identifier: MIT
/* Compiled with clang -target bpf: the layout's static asserts hold there too. */
#include "flushlat/metastore_layout.h"

struct metastore layout_check_instance;
