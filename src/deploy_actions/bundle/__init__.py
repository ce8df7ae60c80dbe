"""package-revision's work: collect files, validate the appspec, write deployment-info.env, archive, upload."""
