/* Every Cryptoki function of the module, in the order of the function
 * lists (CK_FUNCTION_LIST of v2.40, then what CK_FUNCTION_LIST_3_0 adds),
 * as X-macros: JP_FN(name, parameters, arguments) for the v2.40 functions,
 * JP_FN3(...) for those new in v3.0, JP_FN_GETINFO for C_GetInfo (each
 * list has its own: it reports the version it was reached through).
 * Define the macros, include this file; it undefines them. module.c builds
 * the lists and the exported C_* from it; entry.h declares the entries.
 * No include guard: it is meant to be included more than once. */
#ifndef JP_FN3
#define JP_FN3 JP_FN
#endif
#ifndef JP_FN_GETINFO
#define JP_FN_GETINFO JP_FN
#endif

JP_FN(Initialize, (CK_VOID_PTR args), (args))
JP_FN(Finalize, (CK_VOID_PTR reserved), (reserved))
JP_FN_GETINFO(GetInfo, (CK_INFO_PTR info), (info))
JP_FN(GetFunctionList, (CK_FUNCTION_LIST_PTR_PTR out), (out))
JP_FN(GetSlotList, (CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count),
      (present, list, count))
JP_FN(GetSlotInfo, (CK_SLOT_ID id, CK_SLOT_INFO_PTR info), (id, info))
JP_FN(GetTokenInfo, (CK_SLOT_ID id, CK_TOKEN_INFO_PTR info), (id, info))
JP_FN(GetMechanismList, (CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count),
      (id, list, count))
JP_FN(GetMechanismInfo, (CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info),
      (id, type, info))
JP_FN(InitToken, (CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label),
      (id, pin, len, label))
JP_FN(InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len), (h, pin, len))
JP_FN(SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
               CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len),
      (h, old_pin, old_len, new_pin, new_len))
JP_FN(OpenSession, (CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                    CK_SESSION_HANDLE_PTR out),
      (id, flags, app, notify, out))
JP_FN(CloseSession, (CK_SESSION_HANDLE h), (h))
JP_FN(CloseAllSessions, (CK_SLOT_ID id), (id))
JP_FN(GetSessionInfo, (CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info), (h, info))
JP_FN(GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG_PTR len),
      (h, state, len))
JP_FN(SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG len,
                          CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key),
      (h, state, len, enc_key, auth_key))
JP_FN(Login, (CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len),
      (h, user, pin, len))
JP_FN(Logout, (CK_SESSION_HANDLE h), (h))
JP_FN(CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                     CK_OBJECT_HANDLE_PTR out),
      (h, tmpl, count, out))
JP_FN(CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                   CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
      (h, o, tmpl, count, out))
JP_FN(DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), (h, o))
JP_FN(GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size), (h, o, size))
JP_FN(GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG count),
      (h, o, tmpl, count))
JP_FN(SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG count),
      (h, o, tmpl, count))
JP_FN(FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count),
      (h, tmpl, count))
JP_FN(FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                    CK_ULONG_PTR count),
      (h, out, max, count))
JP_FN(FindObjectsFinal, (CK_SESSION_HANDLE h), (h))
JP_FN(EncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
JP_FN(Encrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(EncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                      CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(EncryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, out, out_len))
JP_FN(DecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
JP_FN(Decrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(DecryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                      CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(DecryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, out, out_len))
JP_FN(DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m), (h, m))
JP_FN(Digest, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
               CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(DigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len), (h, in, in_len))
JP_FN(DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k), (h, k))
JP_FN(DigestFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, out, out_len))
JP_FN(SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
JP_FN(Sign, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
             CK_ULONG_PTR sig_len),
      (h, in, in_len, sig, sig_len))
JP_FN(SignUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len), (h, in, in_len))
JP_FN(SignFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len), (h, sig, sig_len))
JP_FN(SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
JP_FN(SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                    CK_ULONG_PTR sig_len),
      (h, in, in_len, sig, sig_len))
JP_FN(VerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
JP_FN(Verify, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
               CK_ULONG sig_len),
      (h, in, in_len, sig, sig_len))
JP_FN(VerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len), (h, in, in_len))
JP_FN(VerifyFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len), (h, sig, sig_len))
JP_FN(VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
      (h, m, k))
JP_FN(VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len, CK_BYTE_PTR out,
                      CK_ULONG_PTR out_len),
      (h, sig, sig_len, out, out_len))
JP_FN(DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                            CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                            CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                          CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                            CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, in, in_len, out, out_len))
JP_FN(GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR tmpl,
                    CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
      (h, m, tmpl, count, out))
JP_FN(GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub_tmpl,
                        CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count,
                        CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv),
      (h, m, pub_tmpl, pub_count, priv_tmpl, priv_count, pub, priv))
JP_FN(WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wrapping,
                CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
      (h, m, wrapping, k, out, out_len))
JP_FN(UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE unwrapping,
                  CK_BYTE_PTR in, CK_ULONG in_len, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                  CK_OBJECT_HANDLE_PTR out),
      (h, m, unwrapping, in, in_len, tmpl, count, out))
JP_FN(DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                  CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
      (h, m, base, tmpl, count, out))
JP_FN(SeedRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len), (h, seed, len))
JP_FN(GenerateRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len), (h, out, len))
JP_FN(GetFunctionStatus, (CK_SESSION_HANDLE h), (h))
JP_FN(CancelFunction, (CK_SESSION_HANDLE h), (h))
JP_FN(WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved),
      (flags, slot, reserved))

/* ---- new in v3.0 ---- */
JP_FN3(GetInterfaceList, (CK_INTERFACE_PTR list, CK_ULONG_PTR count), (list, count))
JP_FN3(GetInterface, (CK_UTF8CHAR_PTR name, CK_VERSION_PTR version, CK_INTERFACE_PTR_PTR out,
                      CK_FLAGS flags),
       (name, version, out, flags))
JP_FN3(LoginUser, (CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len,
                   CK_UTF8CHAR_PTR username, CK_ULONG username_len),
       (h, user, pin, len, username, username_len))
JP_FN3(SessionCancel, (CK_SESSION_HANDLE h, CK_FLAGS flags), (h, flags))
JP_FN3(MessageEncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
       (h, m, k))
JP_FN3(EncryptMessage, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                        CK_BYTE_PTR ad, CK_ULONG ad_len, CK_BYTE_PTR in, CK_ULONG in_len,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len),
       (h, param, param_len, ad, ad_len, in, in_len, out, out_len))
JP_FN3(EncryptMessageBegin, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                             CK_BYTE_PTR ad, CK_ULONG ad_len),
       (h, param, param_len, ad, ad_len))
JP_FN3(EncryptMessageNext, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                            CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                            CK_ULONG_PTR out_len, CK_FLAGS flags),
       (h, param, param_len, in, in_len, out, out_len, flags))
JP_FN3(MessageEncryptFinal, (CK_SESSION_HANDLE h), (h))
JP_FN3(MessageDecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
       (h, m, k))
JP_FN3(DecryptMessage, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                        CK_BYTE_PTR ad, CK_ULONG ad_len, CK_BYTE_PTR in, CK_ULONG in_len,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len),
       (h, param, param_len, ad, ad_len, in, in_len, out, out_len))
JP_FN3(DecryptMessageBegin, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                             CK_BYTE_PTR ad, CK_ULONG ad_len),
       (h, param, param_len, ad, ad_len))
JP_FN3(DecryptMessageNext, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                            CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                            CK_ULONG_PTR out_len, CK_FLAGS flags),
       (h, param, param_len, in, in_len, out, out_len, flags))
JP_FN3(MessageDecryptFinal, (CK_SESSION_HANDLE h), (h))
JP_FN3(MessageSignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
       (h, m, k))
JP_FN3(SignMessage, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                     CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len),
       (h, param, param_len, in, in_len, sig, sig_len))
JP_FN3(SignMessageBegin, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len),
       (h, param, param_len))
JP_FN3(SignMessageNext, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                         CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                         CK_ULONG_PTR sig_len),
       (h, param, param_len, in, in_len, sig, sig_len))
JP_FN3(MessageSignFinal, (CK_SESSION_HANDLE h), (h))
JP_FN3(MessageVerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
       (h, m, k))
JP_FN3(VerifyMessage, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                       CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig, CK_ULONG sig_len),
       (h, param, param_len, in, in_len, sig, sig_len))
JP_FN3(VerifyMessageBegin, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len),
       (h, param, param_len))
JP_FN3(VerifyMessageNext, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                           CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                           CK_ULONG sig_len),
       (h, param, param_len, in, in_len, sig, sig_len))
JP_FN3(MessageVerifyFinal, (CK_SESSION_HANDLE h), (h))

#undef JP_FN
#undef JP_FN3
#undef JP_FN_GETINFO
