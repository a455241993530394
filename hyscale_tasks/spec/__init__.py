"""Service specs (.hspec) and profiles (.hprof): loading, validation, profile merge and names."""
