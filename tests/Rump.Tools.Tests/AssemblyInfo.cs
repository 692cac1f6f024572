// Tests run one at a time: each boots a kernel and several are whole processes; the 2-core machines of
// CI gain nothing from running them side by side, and a failure reads more clearly alone.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
