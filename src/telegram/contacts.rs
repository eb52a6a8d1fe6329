//! The contacts a send to a phone number needs: found by phone, imported, and removed again.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::send::random_id;
use super::{Telegram, TelegramError, convert};

/// Who a phone number reaches, and whether finding them made them a contact.
#[derive(Debug, Clone)]
pub struct PhoneContact {
    pub user: Resolved,
    /// Not a contact before: imported now.
    pub created: bool,
}

impl Telegram {
    /// The contact with this phone number (digits only), else the number imported as one
    /// under this name; `None` when no Telegram account can be reached at it.
    pub async fn contact_for_phone(
        &self,
        digits: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Option<PhoneContact>, TelegramError> {
        if let Some(user) = self.contact_by_phone(digits).await? {
            return Ok(Some(PhoneContact {
                user,
                created: false,
            }));
        }
        let imported = self
            .import_contact(&format!("+{digits}"), first_name, last_name)
            .await?;
        Ok(imported.map(|user| PhoneContact {
            user,
            created: true,
        }))
    }

    /// The contact with this phone number (digits only), if there is one.
    async fn contact_by_phone(&self, digits: &str) -> Result<Option<Resolved>, TelegramError> {
        let answer = self
            .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
            .await?;
        let tl::enums::contacts::Contacts::Contacts(contacts) = answer else {
            return Ok(None);
        };
        self.remember(&contacts.users, &[]).await;
        Ok(contacts.users.iter().find_map(|u| match u {
            tl::enums::User::User(user)
                if user.phone.as_deref().map(only_digits).as_deref() == Some(digits) =>
            {
                resolved_user(u)
            }
            _ => None,
        }))
    }

    /// Adds the phone number to the contacts; `None` when no Telegram account uses it.
    async fn import_contact(
        &self,
        phone: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Option<Resolved>, TelegramError> {
        let answer = self
            .invoke_once_more_if_dropped(&tl::functions::contacts::ImportContacts {
                contacts: vec![
                    tl::types::InputPhoneContact {
                        client_id: random_id(),
                        phone: phone.to_string(),
                        first_name: first_name.to_string(),
                        last_name: last_name.to_string(),
                        note: None,
                    }
                    .into(),
                ],
            })
            .await?;
        let tl::enums::contacts::ImportedContacts::Contacts(imported) = answer;
        self.remember(&imported.users, &[]).await;
        let Some(tl::enums::ImportedContact::Contact(contact)) = imported.imported.first() else {
            return Ok(None);
        };
        Ok(imported.users.iter().find_map(|u| match u {
            tl::enums::User::User(user) if user.id == contact.user_id => resolved_user(u),
            _ => None,
        }))
    }

    /// Removes a user from the contacts.
    pub async fn delete_contact(&self, user: &Resolved) -> Result<(), TelegramError> {
        let input = user
            .input_user()
            .ok_or_else(|| TelegramError::InvalidArgument("only users can be contacts".into()))?;
        self.invoke_once_more_if_dropped(&tl::functions::contacts::DeleteContacts {
            id: vec![input],
        })
        .await?;
        Ok(())
    }
}

fn only_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn resolved_user(user: &tl::enums::User) -> Option<Resolved> {
    let tl::enums::User::User(u) = user else {
        return None;
    };
    Some(Resolved {
        id: u.id,
        input: tl::types::InputPeerUser {
            user_id: u.id,
            access_hash: u.access_hash?,
        }
        .into(),
        info: convert::user(user),
    })
}
