"""Reference data: communes, ethnic groups, beneficiary categories."""
