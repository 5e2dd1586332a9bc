crm = 42
