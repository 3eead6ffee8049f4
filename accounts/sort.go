package accounts

import "sort"

// sortRecentFirst orders accounts by rule 3: most recently connected first;
// accounts never connected come last, newest first.
func sortRecentFirst(as []*Account) {
	sort.SliceStable(as, func(i, j int) bool { return MoreRecent(as[i], as[j]) })
}
