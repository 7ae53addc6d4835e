# p11-kit: the module configuration, installed where p11-kit looks for it.
p11kitconfdir = $(p11_module_configs)
p11kitconf_DATA = p11-kit/jpki-pkcs11.module
EXTRA_DIST += p11-kit/jpki-pkcs11.module.in
